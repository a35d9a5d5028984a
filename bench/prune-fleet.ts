// The repositories a nightly prune meets: `repos` repositories under one
// prefix, each with `images` small images tagged once, a minute apart. Each
// repository shares one config and one layer among its images, which differ
// only in an annotation, so filling it is one manifest PUT an image, sent
// straight to the registry behind the ACR emulator (never through it, so the
// emulator's log and throttle see only the clients). Manifest and tag times
// are then set through the emulator's time controls. After a prune the same
// bytes go back, so every run starts from the same repositories and digests.

import { gzipSync } from 'node:zlib'
import type { AcrEmulator } from '../test/emulators/acr/index.js'
import { registryContents } from '../test/rig/acr-state.js'
import { OCI_MANIFEST, pushBlob, pushManifest, sha256 } from '../test/rig/craft-artifact.js'
import { craftTar } from '../test/rig/craft-tar.js'
import { eachLimited } from './push-job.js'

const IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json'
const TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
const STEP_MS = 60_000
// Straight to the registry on loopback: enough at once to fill 2,000 images in seconds.
const FILL_CONCURRENCY = 8

export interface FleetSize {
  repos: number
  images: number
  keep: number
}

interface Image {
  digest: string
  tag: string
  bytes: Buffer
  time: Date
}

type Target = Pick<AcrEmulator, 'registry' | 'setManifestTime' | 'setTagTime'>

export class PruneFleet {
  readonly repositories: string[]
  /** Per repository, newest first. */
  private readonly images = new Map<string, Image[]>()

  constructor(
    private readonly acr: Target,
    readonly size: FleetSize,
    readonly prefix = 'bench'
  ) {
    this.repositories = Array.from(
      { length: size.repos },
      (_, i) => `${prefix}/app-${String(i).padStart(2, '0')}`
    )
  }

  /** What the action's `repository` input is given: every repository of the fleet. */
  get glob(): string {
    return `${this.prefix}/*`
  }

  /** Images a prune that keeps `keep` in each repository deletes. */
  get deletions(): number {
    return this.size.repos * Math.max(0, this.size.images - this.size.keep)
  }

  async populate(): Promise<void> {
    // An hour back, so that nothing a client might push during a run is older than the fleet.
    const newest = Date.now() - 3_600_000
    await eachLimited(this.repositories, FILL_CONCURRENCY, async repository => {
      const [config, layer] = await this.sharedBlobs(repository)
      const images: Image[] = []
      for (let i = 0; i < this.size.images; i++) {
        const bytes = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config,
            layers: [layer],
            annotations: { 'org.opencontainers.image.version': String(this.size.images - i) }
          })
        )
        const tag = `build-${this.size.images - i}`
        images.push({ digest: sha256(bytes), tag, bytes, time: new Date(newest - i * STEP_MS) })
      }
      this.images.set(repository, images)
      await this.push(repository, images)
    })
  }

  /** Pushes back every image that lost its manifest or its tag, with its old time. */
  async restore(): Promise<void> {
    const held = await registryContents(this.acr.registry)
    await eachLimited(this.repositories, FILL_CONCURRENCY, async repository => {
      const found = held[repository] ?? { tags: {}, manifests: [] }
      const missing = this.imagesOf(repository).filter(
        image => found.tags[image.tag] !== image.digest || !found.manifests.includes(image.digest)
      )
      await this.push(repository, missing)
    })
  }

  /**
   * Whether each repository holds exactly its `keep` newest images with
   * their tags, read from the registry's storage; a sentence for the first
   * that does not, else undefined.
   */
  async check(): Promise<string | undefined> {
    const held = await registryContents(this.acr.registry)
    for (const repository of this.repositories) {
      const kept = this.imagesOf(repository).slice(0, this.size.keep)
      const found = held[repository] ?? { tags: {}, manifests: [] }
      const want = kept.map(image => image.digest).sort()
      const extra = found.manifests.filter(digest => !want.includes(digest))
      const lost = want.filter(digest => !found.manifests.includes(digest))
      const wantTags = Object.fromEntries(kept.map(image => [image.tag, image.digest]))
      const tagsRight =
        JSON.stringify(Object.entries(found.tags).sort()) ===
        JSON.stringify(Object.entries(wantTags).sort())
      if (extra.length > 0 || lost.length > 0 || !tagsRight) {
        return `${repository} holds ${found.manifests.length} images (${extra.length} that should be gone, ${lost.length} of the ${this.size.keep} newest missing) and tags ${Object.keys(found.tags).sort().join(',') || 'none'}`
      }
    }
    return undefined
  }

  private imagesOf(repository: string): Image[] {
    const images = this.images.get(repository)
    if (!images) throw new Error(`${repository} was never populated`)
    return images
  }

  private async sharedBlobs(
    repository: string
  ): Promise<Array<{ mediaType: string; digest: string; size: number }>> {
    const tar = craftTar([{ name: 'app.txt', content: `${repository}\n` }])
    const layer = gzipSync(tar)
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [sha256(tar)] }
      })
    )
    return [
      {
        mediaType: IMAGE_CONFIG,
        digest: await pushBlob(this.acr.registry, repository, config),
        size: config.length
      },
      {
        mediaType: TAR_GZIP,
        digest: await pushBlob(this.acr.registry, repository, layer),
        size: layer.length
      }
    ]
  }

  private async push(repository: string, images: Image[]): Promise<void> {
    // A PUT by tag stores the manifest and points the tag at it in one request.
    for (const image of images) {
      await pushManifest(this.acr.registry, repository, image.tag, image.bytes, OCI_MANIFEST)
    }
    // Times last: the emulator adopts what it finds when first asked, stamping it "now".
    for (const image of images) {
      await this.acr.setManifestTime(repository, image.digest, image.time)
      await this.acr.setTagTime(repository, image.tag, image.time)
    }
  }
}
