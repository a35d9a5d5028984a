// The OCI client against the real CNCF distribution registry: plain HTTP,
// basic auth and TLS. skopeo, an independent client, puts images in and
// reads them back, so both sides are checked against a third party.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer, text } from 'node:stream/consumers'
import { Authorizer } from '../../src/auth/authorizer.js'
import type { Credentials } from '../../src/auth/credentials.js'
import { AuthError } from '../../src/auth/errors.js'
import { sha256Digest } from '../../src/content/digest.js'
import { TransportError } from '../../src/http/errors.js'
import { Transport } from '../../src/http/transport.js'
import { headBlob, openBlob, uploadBlob, type BlobSource } from '../../src/registry/blobs.js'
import { RegistryClient } from '../../src/registry/client.js'
import { RegistryError } from '../../src/registry/errors.js'
import {
  deleteManifest,
  getManifest,
  headManifest,
  putManifest
} from '../../src/registry/manifests.js'
import { mediaTypes } from '../../src/registry/media-types.js'
import { listReferrers } from '../../src/registry/referrers.js'
import { listRepositories, listTags } from '../../src/registry/tags.js'
import type { ImageManifest } from '../../src/registry/types.js'
import { buildImage, pushImage, pushIndex, skopeoInspect } from '../../test/rig/images.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'

const transports: Transport[] = []

function clientFor(
  registry: Registry,
  credentials: Credentials = { kind: 'anonymous' },
  trustCa = true
): RegistryClient {
  const ca = trustCa ? registry.caPem : undefined
  const transport = new Transport({ ca, retry: { attempts: 2, baseDelayMs: 10 } })
  transports.push(transport)
  const authorizer = new Authorizer({ transport, credentials, mask: () => undefined })
  return new RegistryClient(registry.url, transport, authorizer)
}

function bufferSource(bytes: Buffer): BlobSource {
  return {
    digest: sha256Digest(bytes),
    size: bytes.length,
    open: range => Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes])
  }
}

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'acr-oci-client-'))
})

afterAll(async () => {
  await Promise.all(transports.map(t => t.close()))
  await rm(work, { recursive: true, force: true })
})

describe('OCI client on a plain registry', () => {
  let registry: Registry
  let client: RegistryClient
  let imageDigest: string

  beforeAll(async () => {
    registry = await startRegistry()
    client = clientFor(registry)
    const layout = await buildImage({ dir: join(work, 'plain'), files: { 'hello.txt': 'hello\n' } })
    imageDigest = await pushImage(registry, layout, 'team/app:v1')
  })

  afterAll(async () => {
    await registry.stop()
  })

  it('pings the registry and tells it is not ACR', async () => {
    await expect(client.ping()).resolves.toEqual({ acr: false })
  })

  it('reads a manifest by tag with the digest skopeo reports', async () => {
    const fetched = await getManifest(client, 'team/app', 'v1')
    const skopeo = await skopeoInspect(registry, 'team/app:v1')
    expect(fetched.descriptor.digest).toBe(skopeo.digest)
    expect(fetched.descriptor.digest).toBe(imageDigest)
    expect(fetched.descriptor.mediaType).toBe(mediaTypes.ociManifest)
    expect(fetched.manifest).toEqual(skopeo.raw)
  })

  it('checks a manifest by tag and by digest with HEAD', async () => {
    expect((await headManifest(client, 'team/app', 'v1'))?.digest).toBe(imageDigest)
    expect((await headManifest(client, 'team/app', imageDigest))?.digest).toBe(imageDigest)
    expect(await headManifest(client, 'team/app', 'missing')).toBeUndefined()
  })

  it('streams a blob and checks it against its digest', async () => {
    const { manifest } = await getManifest(client, 'team/app', imageDigest)
    const config = (manifest as ImageManifest).config
    const body = await text(await openBlob(client, 'team/app', config.digest, config.size))
    expect(sha256Digest(body)).toBe(config.digest)
    expect(JSON.parse(body)).toHaveProperty('rootfs')
  })

  it('uploads a blob in one PUT, and then finds it there', async () => {
    const blob = bufferSource(randomBytes(300_000))
    expect(await uploadBlob(client, 'team/app', blob)).toBe('uploaded')
    expect(await headBlob(client, 'team/app', blob.digest)).toBe(blob.size)
    expect(await uploadBlob(client, 'team/app', blob)).toBe('exists')
    const requests = await registry.requests()
    const ours = requests.filter(r => r.userAgent.startsWith('acr-action'))
    expect(ours.filter(r => r.method === 'PUT' && r.path.includes('/blobs/uploads/'))).toHaveLength(
      1
    )
    expect(ours.filter(r => r.method === 'PATCH')).toHaveLength(0)
  })

  it('uploads a blob in chunks', async () => {
    const bytes = randomBytes(250_000)
    const blob = bufferSource(bytes)
    const before = (await registry.requests()).filter(r => r.method === 'PATCH').length
    expect(await uploadBlob(client, 'team/chunked', blob, { chunkSize: 100_000 })).toBe('uploaded')
    const after = (await registry.requests()).filter(r => r.method === 'PATCH').length
    expect(after - before).toBe(3)
    const back = await buffer(await openBlob(client, 'team/chunked', blob.digest))
    expect(back.equals(bytes)).toBe(true)
  })

  it('mounts a blob from another repository instead of uploading it', async () => {
    const blob = bufferSource(randomBytes(1000))
    await uploadBlob(client, 'team/source', blob)
    expect(await uploadBlob(client, 'team/target', blob, { mountFrom: 'team/source' })).toBe(
      'mounted'
    )
    expect(await headBlob(client, 'team/target', blob.digest)).toBe(blob.size)
  })

  it('writes a manifest under a tag and reads it back, and deletes it', async () => {
    const config = bufferSource(Buffer.from('{}'))
    const layer = bufferSource(Buffer.from('artifact content'))
    await uploadBlob(client, 'team/artifact', config)
    await uploadBlob(client, 'team/artifact', layer)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        artifactType: 'application/vnd.example+type',
        config: { mediaType: mediaTypes.ociEmpty, digest: config.digest, size: config.size },
        layers: [{ mediaType: 'text/plain', digest: layer.digest, size: layer.size }]
      })
    )
    const digest = await putManifest(
      client,
      'team/artifact',
      'v1',
      manifest,
      mediaTypes.ociManifest
    )
    expect(digest).toBe(sha256Digest(manifest))
    expect((await skopeoInspect(registry, 'team/artifact:v1')).digest).toBe(digest)
    expect(await listTags(client, 'team/artifact')).toEqual(['v1'])

    expect(await deleteManifest(client, 'team/artifact', digest)).toBe(true)
    expect(await deleteManifest(client, 'team/artifact', digest)).toBe(false)
    await expect(getManifest(client, 'team/artifact', 'v1')).rejects.toMatchObject({ status: 404 })
  })

  it('refuses a manifest whose bytes do not match the digest it is put under', async () => {
    const bytes = Buffer.from('{"schemaVersion":2}')
    const wrong = sha256Digest('something else')
    await expect(
      putManifest(client, 'team/app', wrong, bytes, mediaTypes.ociManifest)
    ).rejects.toThrow(/digest/)
  })

  it('turns an unknown tag into a RegistryError that says so', async () => {
    const error = await getManifest(client, 'team/app', 'nope').catch(e => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).notFound).toBe(true)
    expect((error as RegistryError).message).toMatch(
      /team\/app:nope not found: no such tag .*MANIFEST_UNKNOWN/
    )
  })

  it('lists every tag of a repository', async () => {
    const layout = await buildImage({ dir: join(work, 'paged'), files: { a: 'a' } })
    for (const tag of ['t1', 't2', 't3', 't4', 't5']) {
      await pushImage(registry, layout, `team/paged:${tag}`)
    }
    // distribution 2.8 ignores `n` for tags and answers in no fixed order.
    expect((await listTags(client, 'team/paged', 2)).sort()).toEqual(['t1', 't2', 't3', 't4', 't5'])
  })

  it('pages through the catalog with the Link header', async () => {
    const before = (await registry.requests()).length
    const repositories = await listRepositories(client, 2)
    expect(repositories).toEqual(
      expect.arrayContaining(['team/app', 'team/paged', 'team/chunked', 'team/source'])
    )
    expect(new Set(repositories).size).toBe(repositories.length)
    const pagesRead = (await registry.requests())
      .slice(before)
      .filter(r => r.path.startsWith('/v2/_catalog'))
    // Two a page; the last page may come empty, depending on where the count falls.
    expect(pagesRead.length).toBeGreaterThanOrEqual(Math.ceil(repositories.length / 2))
    expect(pagesRead.length).toBeLessThanOrEqual(Math.ceil(repositories.length / 2) + 1)
  })

  it('reads a multi-platform index', async () => {
    const pushed = await pushIndex(registry, 'team/multi:v1', [
      { os: 'linux', arch: 'amd64' },
      { os: 'linux', arch: 'arm64' }
    ])
    const fetched = await getManifest(client, 'team/multi', 'v1')
    expect(fetched.descriptor.digest).toBe(pushed.digest)
    expect(fetched.descriptor.mediaType).toBe(mediaTypes.ociIndex)
    expect(
      'manifests' in fetched.manifest && fetched.manifest.manifests.map(m => m.digest)
    ).toEqual(pushed.children.map(c => c.digest))
  })

  it('finds referrers through the tag schema when the registry has no referrers API', async () => {
    expect(await listReferrers(client, 'team/app', imageDigest)).toEqual([])
    const empty = bufferSource(Buffer.from('{}'))
    await uploadBlob(client, 'team/app', empty)
    const signatureManifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        artifactType: 'application/vnd.example.signature',
        config: { mediaType: mediaTypes.ociEmpty, digest: empty.digest, size: empty.size },
        layers: [{ mediaType: mediaTypes.ociEmpty, digest: empty.digest, size: empty.size }],
        subject: { mediaType: mediaTypes.ociManifest, digest: imageDigest, size: 1 }
      })
    )
    const signatureDigest = sha256Digest(signatureManifest)
    await putManifest(
      client,
      'team/app',
      signatureDigest,
      signatureManifest,
      mediaTypes.ociManifest
    )
    const signature = {
      mediaType: mediaTypes.ociManifest,
      digest: signatureDigest,
      size: signatureManifest.length,
      artifactType: 'application/vnd.example.signature'
    }
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [signature] })
    )
    await putManifest(client, 'team/app', imageDigest.replace(':', '-'), index, mediaTypes.ociIndex)
    expect(await listReferrers(client, 'team/app', imageDigest)).toEqual([signature])
    expect(await listReferrers(client, 'team/app', imageDigest, 'application/other')).toEqual([])
  })
})

describe('OCI client on a registry with basic auth', () => {
  let registry: Registry

  beforeAll(async () => {
    registry = await startRegistry({ auth: { username: 'ci', password: 's3cret-pass' } })
    const layout = await buildImage({ dir: join(work, 'auth'), files: { f: 'x' } })
    await pushImage(registry, layout, 'private/app:v1')
  })

  afterAll(async () => {
    await registry.stop()
  })

  it('signs in with the right password', async () => {
    const client = clientFor(registry, { kind: 'basic', username: 'ci', password: 's3cret-pass' })
    const fetched = await getManifest(client, 'private/app', 'v1')
    expect(fetched.descriptor.digest).toBe((await skopeoInspect(registry, 'private/app:v1')).digest)
  })

  it('says the password is wrong when it is', async () => {
    const client = clientFor(registry, { kind: 'basic', username: 'ci', password: 'wrong' })
    const error = await getManifest(client, 'private/app', 'v1').catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).failure).toBe('credentials-rejected')
    expect((error as AuthError).message).toMatch(/username and password/)
  })

  it('asks for credentials when signed in as nobody', async () => {
    const client = clientFor(registry)
    const error = await client.ping().catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toMatch(/set the username and password inputs/)
  })
})

describe('OCI client over TLS', () => {
  let registry: Registry

  beforeAll(async () => {
    registry = await startRegistry({ tls: true })
    const layout = await buildImage({ dir: join(work, 'tls'), files: { f: 'tls' } })
    await pushImage(registry, layout, 'secure/app:v1')
  })

  afterAll(async () => {
    await registry.stop()
  })

  it('reads a manifest when the CA is trusted', async () => {
    const client = clientFor(registry)
    const fetched = await getManifest(client, 'secure/app', 'v1')
    expect(fetched.descriptor.digest).toBe((await skopeoInspect(registry, 'secure/app:v1')).digest)
  })

  it('names an untrusted certificate as such', async () => {
    const client = clientFor(registry, { kind: 'anonymous' }, false)
    const error = await client.ping().catch(e => e)
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).failure).toBe('tls')
    expect((error as TransportError).message).toMatch(
      /TLS certificate of 127\.0\.0\.1:\d+ is not trusted/
    )
  })
})
