import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, get as httpsGet } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { buildImage, pushImage, pushIndex, skopeoInspect } from '../../test/rig/images.js'
import { OCI_INDEX, OCI_MANIFEST, findDescriptor } from '../../test/rig/layout.js'
import { simpleRequest, type SimpleResponse } from '../../test/rig/http.js'
import { startRegistry, type Credentials, type Registry } from '../../test/rig/registry.js'
import { createCertificateAuthority, issueCertificate } from '../../test/rig/tls.js'

const credentials: Credentials = { username: 'rig-user', password: 'rig-password' }

let plain: Registry
let authed: Registry
let secure: Registry
let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'acr-rig-test-'))
  ;[plain, authed, secure] = await Promise.all([
    startRegistry(),
    startRegistry({ auth: credentials }),
    startRegistry({ tls: true })
  ])
})

afterAll(async () => {
  await Promise.all([plain, authed, secure].map(registry => registry?.stop()))
  await rm(work, { recursive: true, force: true })
})

function basic({ username, password }: Credentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** Reads from the registry with node's client, as a third opinion next to skopeo's. */
function registryGet(
  registry: Registry,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET'
): Promise<SimpleResponse> {
  const authorization: Record<string, string> = registry.auth
    ? { authorization: basic(registry.auth) }
    : {}
  return simpleRequest(`${registry.url}${path}`, {
    method,
    ca: registry.caPem,
    headers: { ...authorization, ...headers }
  })
}

async function pushedBytes(registry: Registry, repo: string, digest: string): Promise<Buffer> {
  const response = await registryGet(registry, `/v2/${repo}/blobs/${digest}`)
  expect(response.status).toBe(200)
  return response.bytes
}

describe('test rig', () => {
  it('pushes an image that skopeo and the registry both see under the returned digest', async () => {
    const layoutRef = await buildImage({
      dir: join(work, 'single'),
      files: { 'etc/motd': 'hello from the rig\n' },
      arch: 'arm64',
      annotations: { 'org.example.purpose': 'rig-test' }
    })
    const digest = await pushImage(plain, layoutRef, 'rig/single:v1')

    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(digest).toBe((await findDescriptor(layoutRef)).digest)
    const inspected = await skopeoInspect(plain, 'rig/single:v1')
    expect(inspected.digest).toBe(digest)
    const head = await registryGet(
      plain,
      '/v2/rig/single/manifests/v1',
      { accept: OCI_MANIFEST },
      'HEAD'
    )
    expect(head.headers['docker-content-digest']).toBe(digest)

    const manifest = inspected.raw as {
      mediaType: string
      annotations: Record<string, string>
      config: { digest: string }
      layers: Array<{ digest: string }>
    }
    expect(manifest.mediaType ?? OCI_MANIFEST).toBe(OCI_MANIFEST)
    expect(manifest.annotations['org.example.purpose']).toBe('rig-test')
    const config = JSON.parse(
      (await pushedBytes(plain, 'rig/single', manifest.config.digest)).toString('utf8')
    ) as { architecture: string; os: string }
    expect(config).toMatchObject({ architecture: 'arm64', os: 'linux' })

    // A complete tar ends in two zero blocks; umoci insert's layers do not.
    expect(manifest.layers).toHaveLength(1)
    const tar = gunzipSync(await pushedBytes(plain, 'rig/single', manifest.layers[0]?.digest ?? ''))
    expect(tar.toString('latin1')).toContain('etc/motd')
    expect(tar.toString('latin1')).toContain('hello from the rig')
    expect(tar.subarray(-1024).every(byte => byte === 0)).toBe(true)
  })

  it('pushes a multi-platform index whose children are the platform images', async () => {
    const platforms = [
      { os: 'linux', arch: 'amd64' },
      { os: 'linux', arch: 'arm64' }
    ]
    const pushed = await pushIndex(plain, 'rig/multi:v1', platforms)

    const inspected = await skopeoInspect(plain, 'rig/multi:v1')
    expect(inspected.digest).toBe(pushed.digest)
    const index = inspected.raw as {
      mediaType: string
      manifests: Array<{ digest: string; platform: { os: string; architecture: string } }>
    }
    expect(index.mediaType).toBe(OCI_INDEX)
    expect(index.manifests.map(m => [m.digest, m.platform.os, m.platform.architecture])).toEqual(
      pushed.children.map(child => [child.digest, child.os, child.arch])
    )
    expect(new Set(pushed.children.map(child => child.digest)).size).toBe(2)
    for (const child of pushed.children) {
      expect((await skopeoInspect(plain, `rig/multi@${child.digest}`)).digest).toBe(child.digest)
    }
  })

  it('serves basic auth: 401 without credentials, pushes with them', async () => {
    const anonymous = await simpleRequest(`${authed.url}/v2/`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm=/)
    const wrong = await simpleRequest(`${authed.url}/v2/`, {
      headers: { authorization: basic({ ...credentials, password: 'wrong' }) }
    })
    expect(wrong.status).toBe(401)
    expect((await registryGet(authed, '/v2/')).status).toBe(200)

    const layoutRef = await buildImage({ dir: join(work, 'authed'), files: { a: 'a' } })
    const digest = await pushImage(authed, layoutRef, 'rig/authed:v1')
    expect((await skopeoInspect(authed, 'rig/authed:v1')).digest).toBe(digest)

    const docker = await pushImage(authed, layoutRef, 'rig/authed:docker', { format: 'v2s2' })
    expect(docker).not.toBe(digest)
    const converted = await skopeoInspect(authed, 'rig/authed:docker')
    expect(converted.digest).toBe(docker)
    expect(converted.raw).toMatchObject({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json'
    })
  })

  it('serves TLS that verifies against its CA, by IP and by name', async () => {
    expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const port = new URL(secure.url).port
    for (const host of ['127.0.0.1', 'localhost']) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        httpsGet(`https://${host}:${port}/v2/`, { ca: secure.caPem, agent: false }, response => {
          response.resume()
          resolve(response.statusCode)
        }).on('error', reject)
      })
      expect(status).toBe(200)
    }
    // Without the CA, node must refuse: the certificate is not publicly trusted.
    await expect(simpleRequest(`${secure.url}/v2/`)).rejects.toThrow(/certificate/)

    const layoutRef = await buildImage({ dir: join(work, 'secure'), files: { b: 'b' } })
    const digest = await pushImage(secure, layoutRef, 'rig/secure:v1')
    expect((await skopeoInspect(secure, 'rig/secure:v1')).digest).toBe(digest)
  })

  it('counts exactly the requests a test sends, whatever their status', async () => {
    const before = await plain.requestCount()
    await registryGet(plain, '/v2/')
    await registryGet(plain, '/v2/rig/absent/manifests/nope', {}, 'HEAD')
    await registryGet(plain, '/v2/_catalog')
    expect(await plain.requestCount()).toBe(before + 3)
    const last = (await plain.requests()).slice(-3)
    expect(last.map(entry => [entry.method, entry.path, entry.status])).toEqual([
      ['GET', '/v2/', 200],
      ['HEAD', '/v2/rig/absent/manifests/nope', 404],
      ['GET', '/v2/_catalog', 200]
    ])

    const authedBefore = await authed.requestCount()
    await simpleRequest(`${authed.url}/v2/`)
    expect(await authed.requestCount()).toBe(authedBefore + 1)
    expect(authed.logs()).toContain('listening on')
  })

  it('issues several leaf certificates from one CA, with extra SANs', async () => {
    const ca = await createCertificateAuthority(join(work, 'ca'))
    const leaf = await issueCertificate(ca, join(work, 'leaves'), {
      name: 'entra',
      sans: ['DNS:login.microsoftonline.test']
    })
    const other = await issueCertificate(ca, join(work, 'leaves'), { name: 'acr' })
    const caCert = new X509Certificate(ca.pem)
    for (const path of [leaf.cert, other.cert]) {
      const cert = new X509Certificate(await readFile(path))
      expect(cert.verify(caCert.publicKey)).toBe(true)
      expect(cert.subjectAltName).toContain('IP Address:127.0.0.1')
    }
    expect(new X509Certificate(await readFile(leaf.cert)).subjectAltName).toContain(
      'DNS:login.microsoftonline.test'
    )

    const server = createServer({ cert: await readFile(leaf.cert), key: await readFile(leaf.key) })
    server.on('request', (_req, res) => res.end('ok'))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const response = await simpleRequest(`https://127.0.0.1:${port}/`, { ca: ca.pem })
      expect(response.body).toBe('ok')
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })

  it('stop() leaves no process and no folder behind', async () => {
    const registry = await startRegistry({ tls: true, auth: credentials })
    expect(existsSync(registry.dir)).toBe(true)
    expect(() => process.kill(registry.pid, 0)).not.toThrow()

    await registry.stop()
    expect(() => process.kill(registry.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }))
    expect(existsSync(registry.dir)).toBe(false)
    await expect(simpleRequest(`${registry.url}/v2/`, { ca: registry.caPem })).rejects.toThrow(
      /ECONNREFUSED/
    )
    await expect(registry.stop()).resolves.toBeUndefined()
  })
})
