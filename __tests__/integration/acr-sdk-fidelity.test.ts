// Fidelity proof: Microsoft's own @azure/container-registry SDK, with its own
// HTTP pipeline and challenge handling, works against the ACR emulator. If
// the emulator drifted from ACR's wire format, this is where it would show.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  ContainerRegistryClient,
  ContainerRegistryContentClient,
  KnownContainerRegistryAudience
} from '@azure/container-registry'
import type { AccessToken, TokenCredential } from '@azure/core-auth'
import { join } from 'node:path'
import { buffer } from 'node:stream/consumers'
import { startAcrEmulator, type AcrEmulator } from '../../test/emulators/acr/index.js'
import { signJwt, generateSigningKey } from '../../test/emulators/jwt.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { buildImage, pushImage, pushIndex } from '../../test/rig/images.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'
import { createCertificateAuthority, type CertificateAuthority } from '../../test/rig/tls.js'

// Stands in for Entra ID: the emulator's default check accepts any unexpired JWT.
const entraKey = generateSigningKey('entra')
const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => {
    const exp = Math.floor(Date.now() / 1000) + 3600
    return {
      token: signJwt({ oid: 'oid-1', tid: 'tid-1', exp }, entraKey),
      expiresOnTimestamp: exp * 1000
    }
  }
}

let dir: string
let ca: CertificateAuthority
let registry: Registry
let acr: AcrEmulator
let client: ContainerRegistryClient
let index: Awaited<ReturnType<typeof pushIndex>>
const digests: Record<string, string> = {}

const options = () => ({
  audience: KnownContainerRegistryAudience.AzureResourceManagerPublicCloud,
  tlsOptions: { ca: ca.pem }
})

beforeAll(async () => {
  dir = await makeTempDir('sdk-fidelity')
  ca = await createCertificateAuthority(join(dir, 'ca'))
  registry = await startRegistry()
  acr = await startAcrEmulator({ ca, registry })
  for (const tag of ['v1', 'v2', 'v3']) {
    const layout = await buildImage({ dir: join(dir, `layout-${tag}`), files: { tag } })
    digests[tag] = await pushImage(registry, layout, `library/hello:${tag}`)
  }
  index = await pushIndex(registry, 'library/multi:v1', [
    { os: 'linux', arch: 'amd64' },
    { os: 'linux', arch: 'arm64' }
  ])
  // Oldest first: v1, v2, v3.
  await acr.setTagTime('library/hello', 'v1', new Date('2026-01-01T00:00:00Z'))
  await acr.setManifestTime('library/hello', 'v1', new Date('2026-01-01T00:00:00Z'))
  await acr.setTagTime('library/hello', 'v2', new Date('2026-02-01T00:00:00Z'))
  await acr.setManifestTime('library/hello', 'v2', new Date('2026-02-01T00:00:00Z'))
  await acr.setTagTime('library/hello', 'v3', new Date('2026-03-01T00:00:00Z'))
  await acr.setManifestTime('library/hello', 'v3', new Date('2026-03-01T00:00:00Z'))
  client = new ContainerRegistryClient(acr.url, credential, options())
})

afterAll(async () => {
  await acr.stop()
  await registry.stop()
  await removeTempDir(dir)
})

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('@azure/container-registry against the ACR emulator', () => {
  it('lists repositories page by page', async () => {
    const pages: string[][] = []
    for await (const page of client.listRepositoryNames().byPage({ maxPageSize: 1 }))
      pages.push([...page])
    expect(pages).toEqual([['library/hello'], ['library/multi']])
  })

  it('lists tags newest first, one a page, following the opaque Link', async () => {
    const artifact = client.getArtifact('library/hello', 'v1')
    const pages: string[][] = []
    for await (const page of artifact
      .listTagProperties({ order: 'LastUpdatedOnDescending' })
      .byPage({ maxPageSize: 1 })) {
      pages.push(page.map(tag => tag.name))
    }
    // SDK 1.1.2 lists the whole repository's tags from any artifact.
    expect(pages).toEqual([['v3'], ['v2'], ['v1']])
    const manifests = await all(
      client
        .getRepository('library/hello')
        .listManifestProperties({ order: 'LastUpdatedOnDescending' })
    )
    expect(manifests.map(m => m.digest)).toEqual([digests.v3, digests.v2, digests.v1])
    expect(manifests.map(m => m.tags)).toEqual([['v3'], ['v2'], ['v1']])
    expect(manifests[2]?.lastUpdatedOn.toISOString()).toBe('2026-01-01T00:00:00.000Z')
  })

  it('reads and updates tag properties', async () => {
    const artifact = client.getArtifact('library/hello', 'v2')
    const before = await artifact.getTagProperties('v2')
    expect(before).toMatchObject({
      name: 'v2',
      digest: digests.v2,
      canWrite: true,
      canDelete: true
    })
    const after = await artifact.updateTagProperties('v2', { canWrite: false, canDelete: false })
    expect(after).toMatchObject({ canWrite: false, canDelete: false, canRead: true, canList: true })
    expect((await artifact.getTagProperties('v2')).canWrite).toBe(false)
  })

  it('refuses to delete a locked tag with 405', async () => {
    const artifact = client.getArtifact('library/hello', 'v2')
    await artifact.updateTagProperties('v2', { canWrite: false })
    await expect(artifact.deleteTag('v2')).rejects.toMatchObject({ statusCode: 405 })
    expect((await artifact.getTagProperties('v2')).digest).toBe(digests.v2)
  })

  it('deletes an unlocked tag, which then is gone from the registry too', async () => {
    const artifact = client.getArtifact('library/hello', 'v1')
    await artifact.deleteTag('v1')
    await expect(artifact.getTagProperties('v1')).rejects.toMatchObject({ statusCode: 404 })
    const list = await fetch(`${registry.url}/v2/library/hello/tags/list`).then(r => r.json())
    expect((list as { tags: string[] }).tags).not.toContain('v1')
  })

  it('shows the platforms an index refers to', async () => {
    const properties = await client.getArtifact('library/multi', 'v1').getManifestProperties()
    expect(properties.digest).toBe(index.digest)
    expect(
      properties.relatedArtifacts.map(r => [r.digest, r.architecture, r.operatingSystem])
    ).toEqual(index.children.map(c => [c.digest, c.arch, c.os]))
  })

  it('uploads and downloads blobs (through the storage redirect) and sets and gets a manifest', async () => {
    const content = new ContainerRegistryContentClient(
      acr.url,
      'library/artifact',
      credential,
      options()
    )
    const config = Buffer.from('{}')
    const layer = Buffer.from('hello from the SDK')
    const { digest: configDigest } = await content.uploadBlob(config)
    const { digest: layerDigest, sizeInBytes } = await content.uploadBlob(layer)
    expect(sizeInBytes).toBe(layer.length)
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: configDigest,
        size: config.length
      },
      layers: [{ mediaType: 'text/plain', digest: layerDigest, size: layer.length }]
    }
    const { digest } = await content.setManifest(manifest, { tag: 'sdk' })
    const fetched = await content.getManifest('sdk')
    expect(fetched.digest).toBe(digest)
    expect(fetched.manifest).toMatchObject({ layers: [{ digest: layerDigest }] })

    const storageBefore = acr.storageRequests().length
    const download = await content.downloadBlob(layerDigest)
    expect((await buffer(download.content)).toString()).toBe('hello from the SDK')
    // The bytes came from the storage origin, which refuses any Authorization header.
    // It logs a request once its response is flushed, which can trail the reader by a tick.
    for (let i = 0; i < 50 && acr.storageRequests().length === storageBefore; i++) {
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    expect(acr.storageRequests().slice(storageBefore)).toEqual([
      expect.objectContaining({ method: 'GET', status: 200 })
    ])
  })
})
