// Repositories for prune tests, filled fast and aged on demand: small OCI
// images (a config and one gzipped tar layer of their own, so no two share a
// digest), multi-platform indexes, OCI referrers with a `subject`, and
// cosign-style `sha256-<hex>.sig` tagged signatures, pushed straight to the
// registry behind the ACR emulator. The emulator adopts what it finds there;
// each manifest's and tag's time is then set through its time controls, and
// locks through its attribute controls, as an aged ACR would show them.

import { randomBytes } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { AcrEmulator, ChangeableAttributes } from '../emulators/acr/index.js'
import { registryContents, type RegistryContents } from './acr-state.js'
import { craftTar } from './craft-tar.js'
import { EMPTY_CONFIG, OCI_MANIFEST, pushBlob, pushManifest, sha256 } from './craft-artifact.js'
import { OCI_INDEX } from './layout.js'

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

const IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json'
const TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
const SBOM = 'application/vnd.example.sbom.v1+json'
const COSIGN_LAYER = 'application/vnd.dev.cosign.simplesigning.v1+json'

/** `at` before `now`: the time of something pushed that long ago. */
export const ago = (ms: number, now = Date.now()): Date => new Date(now - ms)

/** What the fixture pushed, as prune should see it. */
export interface Seeded {
  repository: string
  digest: string
  mediaType: string
  tags: string[]
  time: Date
  /** The manifest's own size in bytes: ACR's `imageSize`. */
  size: number
  /** For an index: the digests it lists. */
  children: string[]
  /** For a referrer: its subject's digest. */
  subject?: string
}

export interface SeedOptions {
  tags?: string[]
  time: Date
}

export interface IndexOptions extends SeedOptions {
  /** New untagged images, one per `os/arch`, pushed with the index at its time. */
  platforms?: string[]
  /** Images already pushed that the index lists too (shared with another index). */
  reuse?: Seeded[]
}

/** The emulator controls a fixture needs; an AcrEmulator fits. */
export type FixtureTarget = Pick<
  AcrEmulator,
  'registry' | 'setManifestTime' | 'setTagTime' | 'setAttributes'
>

/** A lock as a user sets one: neither overwrite nor delete. */
export const LOCKED: Partial<ChangeableAttributes> = { writeEnabled: false, deleteEnabled: false }

export class PruneFixture {
  constructor(private readonly acr: FixtureTarget) {}

  /** One single-platform image with `tags` (none: pushed by digest), aged to `time`. */
  async image(repository: string, options: SeedOptions, platform = 'linux/amd64'): Promise<Seeded> {
    const [os = 'linux', architecture = 'amd64'] = platform.split('/')
    const tar = craftTar([{ name: 'seed.txt', content: randomBytes(16).toString('hex') }])
    const layer = gzipSync(tar)
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os,
        rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
        config: { Labels: { seed: randomBytes(8).toString('hex') } }
      })
    )
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: await this.blob(repository, IMAGE_CONFIG, config),
        layers: [await this.blob(repository, TAR_GZIP, layer)]
      })
    )
    return this.put(repository, manifest, OCI_MANIFEST, options)
  }

  /** An OCI index over new platform images and, if given, images already pushed. */
  async index(repository: string, options: IndexOptions): Promise<Seeded & { images: Seeded[] }> {
    const fresh: Seeded[] = []
    for (const platform of options.platforms ?? ['linux/amd64', 'linux/arm64']) {
      fresh.push(await this.image(repository, { time: options.time }, platform))
    }
    const images = [...fresh, ...(options.reuse ?? [])]
    const manifests = images.map(image => ({
      mediaType: image.mediaType,
      digest: image.digest,
      size: image.size
    }))
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }))
    return { ...(await this.put(repository, bytes, OCI_INDEX, options)), images }
  }

  /** An OCI 1.1 referrer of `subject` (an SBOM), untagged unless tags are given. */
  async referrer(repository: string, subject: Seeded, options: SeedOptions): Promise<Seeded> {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: SBOM,
        config: await this.blob(repository, EMPTY_CONFIG, Buffer.from('{}')),
        layers: [await this.blob(repository, SBOM, Buffer.from(`{"sbom":"${randomHex()}"}`))],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }
      })
    )
    return {
      ...(await this.put(repository, manifest, OCI_MANIFEST, options)),
      subject: subject.digest
    }
  }

  /** A cosign-style signature: no `subject`, tagged `sha256-<hex of subject>.sig`. */
  async signature(repository: string, subject: Seeded, time: Date): Promise<Seeded> {
    const payload = Buffer.from(
      JSON.stringify({ critical: { image: { 'docker-manifest-digest': subject.digest } } })
    )
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: await this.blob(repository, EMPTY_CONFIG, Buffer.from('{}')),
        layers: [
          {
            ...(await this.blob(repository, COSIGN_LAYER, payload)),
            annotations: { 'dev.cosignproject.cosign/signature': randomHex() }
          }
        ]
      })
    )
    const tag = `${subject.digest.replace(':', '-')}.sig`
    return this.put(repository, manifest, OCI_MANIFEST, { tags: [tag], time })
  }

  /**
   * `count` images a `step` apart, the newest (index 0) at `newest`; `tags(i)`
   * names each one's tags (none: untagged).
   */
  async series(
    repository: string,
    count: number,
    options: { newest: Date; step?: number; tags?: (i: number) => string[] }
  ): Promise<Seeded[]> {
    const step = options.step ?? DAY
    const seeded: Seeded[] = []
    for (let i = 0; i < count; i++) {
      const time = new Date(options.newest.getTime() - i * step)
      seeded.push(await this.image(repository, { tags: options.tags?.(i) ?? [`v${i}`], time }))
    }
    return seeded
  }

  /** Locks a tag or a manifest (by default against overwrite and delete). */
  async lock(
    repository: string,
    at: { tag: string } | { digest: string },
    attributes: Partial<ChangeableAttributes> = LOCKED
  ): Promise<void> {
    await this.acr.setAttributes({ repository, ...at }, attributes)
  }

  /** What the registry holds for `repository`, read from its storage: tags → digest, manifests. */
  async contents(repository: string): Promise<RegistryContents[string]> {
    return (await registryContents(this.acr.registry))[repository] ?? { tags: {}, manifests: [] }
  }

  private async blob(
    repository: string,
    mediaType: string,
    bytes: Buffer
  ): Promise<{ mediaType: string; digest: string; size: number }> {
    return {
      mediaType,
      digest: await pushBlob(this.acr.registry, repository, bytes),
      size: bytes.length
    }
  }

  private async put(
    repository: string,
    bytes: Buffer,
    mediaType: string,
    { tags = [], time }: SeedOptions
  ): Promise<Seeded> {
    const digest = sha256(bytes)
    await pushManifest(this.acr.registry, repository, digest, bytes, mediaType)
    for (const tag of tags) await pushManifest(this.acr.registry, repository, tag, bytes, mediaType)
    // Times last: the emulator adopts the pushes when first asked, stamping them "now".
    await this.acr.setManifestTime(repository, digest, time)
    for (const tag of tags) await this.acr.setTagTime(repository, tag, time)
    const children =
      mediaType === OCI_INDEX
        ? (JSON.parse(bytes.toString()) as { manifests: Array<{ digest: string }> }).manifests.map(
            m => m.digest
          )
        : []
    return {
      repository,
      digest,
      mediaType,
      tags: [...tags].sort(),
      time,
      size: bytes.length,
      children
    }
  }
}

function randomHex(): string {
  return randomBytes(8).toString('hex')
}
