// The ACR emulator's behaviour, and the action's ACR clients against it:
// challenges as ACR words them, the admin user and anonymous pull, /acr/v1
// with ordering, paging and locks, storage redirects, faults and throttling.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import { Authorizer } from '../../src/auth/authorizer.js'
import type { Credentials } from '../../src/auth/credentials.js'
import { AuthError } from '../../src/auth/errors.js'
import { Transport } from '../../src/http/transport.js'
import { AcrMetadataClient } from '../../src/registry/acr-metadata.js'
import { openBlob } from '../../src/registry/blobs.js'
import { RegistryClient } from '../../src/registry/client.js'
import { RegistryError } from '../../src/registry/errors.js'
import { getManifest, putManifest } from '../../src/registry/manifests.js'
import { startAcrEmulator, type AcrEmulator } from '../../test/emulators/acr/index.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { buildImage, pushImage } from '../../test/rig/images.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'
import { createCertificateAuthority, type CertificateAuthority } from '../../test/rig/tls.js'

const admin = { username: 'myregistry', password: 'admin-Password-1' }
let dir: string
let ca: CertificateAuthority
let registry: Registry
let acr: AcrEmulator
let transport: Transport
const digests: Record<string, string> = {}

beforeAll(async () => {
  dir = await makeTempDir('acr-emulator')
  ca = await createCertificateAuthority(join(dir, 'ca'))
  registry = await startRegistry()
  acr = await startAcrEmulator({ ca, registry, users: [admin], anonymousPull: true })
  for (const tag of ['v1', 'v2', 'v3']) {
    const layout = await buildImage({ dir: join(dir, tag), files: { tag } })
    digests[tag] = await pushImage(registry, layout, `team/app:${tag}`)
  }
  await acr.setTagTime('team/app', 'v1', new Date('2026-01-01T00:00:00Z'))
  await acr.setTagTime('team/app', 'v2', new Date('2026-03-01T00:00:00Z'))
  await acr.setTagTime('team/app', 'v3', new Date('2026-02-01T00:00:00Z'))
  transport = new Transport({ ca: ca.pem, proxy: {}, retry: { baseDelayMs: 10 } })
})

afterAll(async () => {
  await transport.close()
  await acr.stop()
  await registry.stop()
  await removeTempDir(dir)
})

function client(credentials: Credentials): RegistryClient {
  return new RegistryClient(
    acr.url,
    transport,
    new Authorizer({ transport, credentials, mask: () => undefined })
  )
}

// The emulator logs a request once its response is flushed, which in one
// process can trail the client that already read it by a tick or two.
const logSettled = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 50))

const adminClient = (): RegistryClient => client({ kind: 'basic', ...admin })

describe('ACR emulator: sign-in', () => {
  it('challenges exactly as ACR does', async () => {
    const response = await transport.send({
      method: 'GET',
      url: `${acr.url}/v2/team/app/manifests/v1`
    })
    expect(response.status).toBe(401)
    expect(response.header('www-authenticate')).toBe(
      `Bearer realm="https://${acr.host}/oauth2/token",service="${acr.host}",scope="repository:team/app:pull"`
    )
    expect(response.header('docker-distribution-api-version')).toBe('registry/2.0')
    expect(response.header('x-ms-correlation-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(await response.json()).toEqual({
      errors: [
        {
          code: 'UNAUTHORIZED',
          message:
            'authentication required, visit https://aka.ms/acr/authorization for more information.',
          detail: [{ Type: 'repository', Name: 'team/app', Action: 'pull' }]
        }
      ]
    })
    const upload = await transport.send({
      method: 'POST',
      url: `${acr.url}/v2/team/app/blobs/uploads/`
    })
    await upload.discard()
    expect(upload.header('www-authenticate')).toContain('scope="repository:team/app:pull,push"')
  })

  it('signs the admin user in through GET /oauth2/token with Basic credentials', async () => {
    const fetched = await getManifest(adminClient(), 'team/app', 'v1')
    expect(fetched.descriptor.digest).toBe(digests.v1)
  })

  it('refuses a wrong admin password', async () => {
    const wrong = client({ kind: 'basic', username: admin.username, password: 'nope' })
    await expect(getManifest(wrong, 'team/app', 'v1')).rejects.toMatchObject({
      failure: 'credentials-rejected'
    })
  })

  it('lets anonymous pull, and answers a push with insufficient_scope', async () => {
    const anonymous = client({ kind: 'anonymous' })
    expect((await getManifest(anonymous, 'team/app', 'v1')).descriptor.digest).toBe(digests.v1)
    const error = await putManifest(
      anonymous,
      'team/app',
      'x',
      Buffer.from('{}'),
      'application/json'
    ).catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).failure).toBe('insufficient-scope')
  })
})

describe('ACR emulator: refusals beyond the recordings', () => {
  it('marks a challenge to a token it did not issue with invalid_token', async () => {
    const response = await transport.send({
      method: 'GET',
      url: `${acr.url}/v2/team/app/manifests/v1`,
      headers: { authorization: 'Bearer not-a-token' }
    })
    await response.discard()
    expect(response.status).toBe(401)
    expect(response.header('www-authenticate')).toMatch(/,error="invalid_token"$/)
  })

  it('refuses to pull a manifest whose readEnabled is off', async () => {
    const registryClient = adminClient()
    const metadata = new AcrMetadataClient(registryClient)
    await metadata.updateManifest('team/app', digests.v2 ?? '', { readEnabled: false })
    try {
      await expect(getManifest(registryClient, 'team/app', digests.v2 ?? '')).rejects.toMatchObject(
        {
          status: 405
        }
      )
    } finally {
      await metadata.updateManifest('team/app', digests.v2 ?? '', { readEnabled: true })
    }
    expect(
      (await getManifest(registryClient, 'team/app', digests.v2 ?? '')).descriptor.digest
    ).toBe(digests.v2)
  })
})

describe('ACR emulator: /acr/v1 through the action metadata client', () => {
  it('lists tags newest first, one a page, by the opaque Link', async () => {
    const metadata = new AcrMetadataClient(adminClient())
    const names: string[] = []
    for await (const tag of metadata.tags('team/app', { orderBy: 'timedesc', pageSize: 1 }))
      names.push(tag.name)
    expect(names).toEqual(['v2', 'v3', 'v1'])
    await logSettled()
    const pages = acr
      .requests()
      .filter(r => r.path === '/acr/v1/team%2Fapp/_tags' && r.status === 200)
    expect(pages.length).toBeGreaterThanOrEqual(3)
  })

  it('lists the catalog and the repository properties', async () => {
    const metadata = new AcrMetadataClient(adminClient())
    const names: string[] = []
    for await (const name of metadata.repositories(1)) names.push(name)
    expect(names).toEqual(['team/app'])
    expect(await metadata.getRepository('team/app')).toMatchObject({
      imageName: 'team/app',
      tagCount: 3
    })
  })

  it('enforces a tag lock on push and delete, and deletes once unlocked', async () => {
    const registryClient = adminClient()
    const metadata = new AcrMetadataClient(registryClient)
    const locked = await metadata.updateTag('team/app', 'v3', { writeEnabled: false })
    expect(locked.changeableAttributes).toMatchObject({ writeEnabled: false, deleteEnabled: true })

    const current = await getManifest(registryClient, 'team/app', 'v1')
    const overwrite = await putManifest(
      registryClient,
      'team/app',
      'v3',
      current.bytes,
      current.descriptor.mediaType
    ).catch(e => e)
    expect(overwrite).toBeInstanceOf(RegistryError)
    expect((overwrite as RegistryError).code).toBe('REGISTRY_DISALLOWED_OPERATION')
    expect((overwrite as RegistryError).status).toBe(405)
    await expect(metadata.deleteTag('team/app', 'v3')).rejects.toMatchObject({ status: 405 })

    await metadata.updateTag('team/app', 'v3', { writeEnabled: true })
    expect(await metadata.deleteTag('team/app', 'v3')).toBe(true)
    expect(await metadata.deleteTag('team/app', 'v3')).toBe(false)
    const backing = (await (await fetch(`${registry.url}/v2/team/app/tags/list`)).json()) as {
      tags: string[]
    }
    expect(backing.tags.sort()).toEqual(['v1', 'v2'])
    // The manifest stays, untagged.
    const manifests = []
    for await (const manifest of metadata.manifests('team/app')) manifests.push(manifest)
    expect(manifests.find(m => m.digest === digests.v3)?.tags).toBeUndefined()
  })

  it('keeps manifest locks apart from tag locks', async () => {
    const metadata = new AcrMetadataClient(adminClient())
    await metadata.updateManifest('team/app', digests.v1 ?? '', { deleteEnabled: false })
    expect((await metadata.getTag('team/app', 'v1')).changeableAttributes.deleteEnabled).toBe(true)
    const response = await adminClient().request({
      method: 'DELETE',
      path: `/v2/team/app/manifests/${digests.v1}`,
      scopes: ['repository:team/app:delete']
    })
    await response.discard()
    expect(response.status).toBe(405)
    await metadata.updateManifest('team/app', digests.v1 ?? '', { deleteEnabled: true })
  })
})

describe('ACR emulator: blobs, faults and throttling', () => {
  it('redirects blob downloads to a storage origin that refuses Authorization', async () => {
    const registryClient = adminClient()
    const { manifest } = await getManifest(registryClient, 'team/app', 'v1')
    const config = 'config' in manifest ? manifest.config : undefined
    expect(
      JSON.parse(await text(await openBlob(registryClient, 'team/app', config!.digest)))
    ).toHaveProperty('rootfs')

    const redirect = await registryClient.request({
      method: 'GET',
      path: `/v2/team/app/blobs/${config!.digest}`,
      scopes: ['repository:team/app:pull'],
      maxRedirects: 0
    })
    await redirect.discard()
    expect(redirect.status).toBe(307)
    const location = redirect.header('location') ?? ''
    expect(location).toContain('//docker/registry/v2/blobs/sha256/')
    const partial = await transport.send({
      method: 'GET',
      url: location,
      headers: { range: 'bytes=0-1' }
    })
    expect(partial.status).toBe(206)
    expect(await partial.text()).toBe('{"')
    const withAuth = await transport.send({
      method: 'GET',
      url: location,
      headers: { authorization: 'Bearer x' }
    })
    expect(withAuth.status).toBe(403)
    expect(await withAuth.text()).toContain('AuthenticationFailed')
  })

  it('injects 503s, 429s with Retry-After and connection resets, which the transport rides out', async () => {
    const registryClient = adminClient()
    acr.faults.inject({ method: 'GET', path: /\/manifests\/v2$/, status: 503, times: 1 })
    acr.faults.inject({
      method: 'GET',
      path: /\/manifests\/v2$/,
      status: 429,
      headers: { 'retry-after': '1' },
      times: 1
    })
    acr.faults.inject({ method: 'GET', path: /\/manifests\/v2$/, status: 'reset', times: 1 })
    const before = acr.requests().length
    expect((await getManifest(registryClient, 'team/app', 'v2')).descriptor.digest).toBe(digests.v2)
    await logSettled()
    const statuses = acr
      .requests()
      .slice(before)
      .filter(r => r.path.endsWith('/manifests/v2'))
      .map(r => r.status)
    expect(statuses).toEqual(expect.arrayContaining([503, 429, 200]))
  })

  it('throttles write operations per minute with 429 and Retry-After', async () => {
    acr.faults.throttleWrites(2)
    const once = new Transport({ ca: ca.pem, proxy: {}, retry: { attempts: 1 } })
    try {
      const registryClient = new RegistryClient(
        acr.url,
        once,
        new Authorizer({
          transport: once,
          credentials: { kind: 'basic', ...admin },
          mask: () => undefined
        })
      )
      const statuses: number[] = []
      let retryAfter: string | undefined
      for (let i = 0; i < 4; i++) {
        const response = await registryClient.request({
          method: 'POST',
          path: '/v2/team/app/blobs/uploads/',
          scopes: ['repository:team/app:pull,push']
        })
        await response.discard()
        statuses.push(response.status)
        retryAfter ??= response.header('retry-after')
      }
      expect(statuses.filter(s => s === 429).length).toBeGreaterThanOrEqual(2)
      expect(Number(retryAfter)).toBeGreaterThan(0)
    } finally {
      acr.faults.throttleWrites(undefined)
      await once.close()
    }
  })
})
