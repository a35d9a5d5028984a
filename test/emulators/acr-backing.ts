// The emulator's hands on the real registry behind it: plain /v2/ calls, and
// the few things distribution 2.8 has no API for (deleting one tag, deleting
// a repository) done in its filesystem storage, as ACR does them server-side.

import http from 'node:http'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Registry } from '../rig/registry.js'
import type { AcrState, ManifestRecord } from './acr-state.js'

const manifestAccept = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ')

interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export class Backing {
  private readonly url: URL

  constructor(
    private readonly registry: Registry,
    private readonly state: AcrState
  ) {
    this.url = new URL(registry.url)
  }

  call(
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders = {},
    body?: Buffer
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: this.url.hostname, port: this.url.port, method, path, headers },
        response => {
          const chunks: Buffer[] = []
          response.on('data', chunk => chunks.push(chunk as Buffer))
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 502,
              headers: response.headers,
              body: Buffer.concat(chunks)
            })
          )
        }
      )
      request.on('error', reject)
      request.end(body)
    })
  }

  async catalog(): Promise<string[]> {
    // Distribution refuses an n above its catalog.maxentries (1000 by default).
    const reply = await this.call('GET', '/v2/_catalog?n=1000')
    return reply.status === 200
      ? ((JSON.parse(reply.body.toString()) as { repositories?: string[] }).repositories ?? [])
      : []
  }

  /** Brings the state up to date with what the registry holds for `repository`; false when it has none. */
  async discover(repository: string): Promise<boolean> {
    const reply = await this.call('GET', `/v2/${repository}/tags/list`)
    if (reply.status !== 200) return this.state.manifestsOf(repository).length > 0
    const names = (JSON.parse(reply.body.toString()) as { tags?: string[] | null }).tags ?? []
    this.state.repository(repository)
    for (const known of this.state.tagsOf(repository)) {
      if (!names.includes(known.name)) this.state.forgetTag(repository, known.name)
    }
    for (const name of names) {
      const manifest = await this.readManifest(repository, name)
      if (manifest) this.state.tag(repository, name, manifest.digest, false)
    }
    return true
  }

  /** Reads a manifest and records it (and an index's children) without counting it as a push. */
  async readManifest(repository: string, reference: string): Promise<ManifestRecord | undefined> {
    const reply = await this.call('GET', `/v2/${repository}/manifests/${reference}`, {
      accept: manifestAccept
    })
    if (reply.status !== 200) return undefined
    const digest = String(reply.headers['docker-content-digest'])
    const known = this.state.manifests.get(`${repository}@${digest}`)
    if (known) return known
    return this.record(repository, digest, reply.body, false)
  }

  /** Records a manifest from its bytes: media type, size, references, subject. */
  record(repository: string, digest: string, bytes: Buffer, pushed: boolean): ManifestRecord {
    const manifest = JSON.parse(bytes.toString('utf8')) as {
      mediaType?: string
      artifactType?: string
      config?: { mediaType?: string }
      manifests?: Array<{ digest: string; platform?: { architecture?: string; os?: string } }>
      subject?: { digest: string }
    }
    const references = manifest.manifests?.map(m => ({
      digest: m.digest,
      architecture: m.platform?.architecture,
      os: m.platform?.os
    }))
    for (const child of references ?? []) {
      const known = this.state.manifests.get(`${repository}@${child.digest}`)
      if (known) Object.assign(known, { architecture: child.architecture, os: child.os })
    }
    return this.state.manifest(
      repository,
      digest,
      {
        mediaType: manifest.mediaType ?? '',
        size: bytes.length,
        artifactType:
          manifest.artifactType ?? (manifest.subject ? manifest.config?.mediaType : undefined),
        references,
        subject: manifest.subject?.digest
      },
      pushed
    )
  }

  async deleteManifest(repository: string, digest: string): Promise<number> {
    const reply = await this.call('DELETE', `/v2/${repository}/manifests/${digest}`)
    return reply.status
  }

  /** Distribution 2.8 cannot untag through its API; ACR can, so the emulator does it in storage. */
  async deleteTag(repository: string, tag: string): Promise<void> {
    await rm(join(this.repositoryFolder(repository), '_manifests', 'tags', tag), {
      recursive: true,
      force: true
    })
  }

  async deleteRepository(repository: string): Promise<void> {
    await rm(this.repositoryFolder(repository), { recursive: true, force: true })
  }

  private repositoryFolder(repository: string): string {
    return join(
      this.registry.dir,
      'storage',
      'docker',
      'registry',
      'v2',
      'repositories',
      ...repository.split('/')
    )
  }
}
