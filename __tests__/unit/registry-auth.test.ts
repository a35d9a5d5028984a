// The registry client's sign-in against a scripted token-auth registry: the
// Docker token flow, the per-scope cache, renewal, and the errors a user sees.
// The real registry covers Basic auth; this covers Bearer, which it lacks.

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import { Authorizer, repositoriesPerToken } from '../../src/auth/authorizer.js'
import type { Credentials } from '../../src/auth/credentials.js'
import { AuthError } from '../../src/auth/errors.js'
import { sha256Digest } from '../../src/content/digest.js'
import { closeServer, listenOnLoopback } from '../../test/rig/loopback-server.js'
import { Transport } from '../../src/http/transport.js'
import { RegistryClient } from '../../src/registry/client.js'
import { getManifest, maxManifestBytes } from '../../src/registry/manifests.js'

interface TokenRequestSeen {
  scopes: string[]
  service: string | null
  authorization: string | undefined
}

// A registry that wants `Bearer <token for scope>` and a token endpoint that
// hands out such tokens, as Docker Hub and ACR do.
class TokenRegistry {
  readonly tokenRequests: TokenRequestSeen[] = []
  readonly registryRequests: Array<{ path: string; authorization: string | undefined }> = []
  manifest = Buffer.from(
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":0},"layers":[]}'
  )
  servedDigest: string | undefined
  expiresIn = 300
  granted: (scope: string) => boolean = () => true
  basic: string | undefined
  private server = http.createServer((req, res) => this.handle(req, res))
  url = ''

  async start(): Promise<void> {
    this.url = await listenOnLoopback(this.server)
  }

  stop(): Promise<void> {
    return closeServer(this.server)
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url)
    if (url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope')
      this.tokenRequests.push({
        scopes,
        service: url.searchParams.get('service'),
        authorization: req.headers.authorization
      })
      if (this.basic !== undefined && req.headers.authorization !== this.basic) {
        res.writeHead(401).end()
        return
      }
      const token = `tok-${this.tokenRequests.length}|${scopes.filter(this.granted).join(' ')}`
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ token, expires_in: this.expiresIn }))
      return
    }
    this.registryRequests.push({ path: url.pathname, authorization: req.headers.authorization })
    const repository = /^\/v2\/(.+)\/manifests\//.exec(url.pathname)?.[1] ?? ''
    const scope = `repository:${repository}:pull`
    const presented = req.headers.authorization?.startsWith('Bearer ')
      ? req.headers.authorization
      : undefined
    const held = (presented?.split('|')[1] ?? '').split(' ').some(granted => {
      const split = granted.lastIndexOf(':')
      return (
        granted.slice(0, split) === `repository:${repository}` &&
        granted
          .slice(split + 1)
          .split(',')
          .includes('pull')
      )
    })
    if (!held) {
      const error = presented ? ',error="insufficient_scope"' : ''
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${this.url}/token",service="test-registry",scope="${scope}"${error}`,
        'content-type': 'application/json'
      })
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
      return
    }
    res.writeHead(200, {
      'content-type': 'application/vnd.oci.image.manifest.v1+json',
      'docker-content-digest': this.servedDigest ?? sha256Digest(this.manifest)
    })
    res.end(this.manifest)
  }
}

describe('registry client sign-in with token auth', () => {
  let registry: TokenRegistry
  let transport: Transport
  let now: number
  let masked: string[]

  beforeEach(async () => {
    registry = new TokenRegistry()
    await registry.start()
    transport = new Transport({ proxy: {}, retry: { attempts: 1 } })
    now = Date.parse('2026-11-22T10:00:00Z')
    masked = []
  })

  afterEach(async () => {
    await transport.close()
    await registry.stop()
  })

  function client(
    credentials: Credentials = { kind: 'anonymous' },
    repositoryActions?: string[]
  ): RegistryClient {
    const authorizer = new Authorizer({
      transport,
      credentials,
      mask: secret => masked.push(secret),
      now: () => now,
      repositoryActions
    })
    return new RegistryClient(registry.url, transport, authorizer)
  }

  it('answers the challenge with a token for its realm, service and scope', async () => {
    const fetched = await getManifest(client(), 'team/app', 'v1')
    expect(fetched.descriptor.digest).toBe(sha256Digest(registry.manifest))
    expect(registry.tokenRequests).toEqual([
      { scopes: ['repository:team/app:pull'], service: 'test-registry', authorization: undefined }
    ])
    expect(masked).toEqual(['tok-1|repository:team/app:pull'])
  })

  it('sends Basic credentials to the token endpoint only', async () => {
    const basic = `Basic ${Buffer.from('robot:pw').toString('base64')}`
    registry.basic = basic
    await getManifest(
      client({ kind: 'basic', username: 'robot', password: 'pw' }),
      'team/app',
      'v1'
    )
    expect(registry.tokenRequests[0]?.authorization).toBe(basic)
    expect(registry.registryRequests.every(r => r.authorization !== basic)).toBe(true)
  })

  it('reuses a token for the same scope and asks up front after the first challenge', async () => {
    const c = client()
    for (let i = 0; i < 3; i++) await getManifest(c, 'team/app', 'v1')
    expect(registry.tokenRequests).toHaveLength(1)
    // One 401 to learn the challenge, then every request carries the token.
    expect(registry.registryRequests.filter(r => r.authorization === undefined)).toHaveLength(1)
    expect(registry.registryRequests).toHaveLength(4)
  })

  it('asks for a token per scope', async () => {
    const c = client()
    await getManifest(c, 'team/app', 'v1')
    await getManifest(c, 'team/api', 'v1')
    expect(registry.tokenRequests.map(r => r.scopes)).toEqual([
      ['repository:team/app:pull'],
      ['repository:team/api:pull']
    ])
  })

  it('asks once per repository for every action the run declared, and reuses that token', async () => {
    const c = client({ kind: 'anonymous' }, ['delete', 'metadata_read', 'pull'])
    await getManifest(c, 'team/app', 'v1')
    const response = await c.request({
      method: 'GET',
      path: '/v2/team/app/manifests/v1',
      scopes: ['repository:team/app:delete']
    })
    await response.discard()
    expect(response.status).toBe(200)
    await getManifest(c, 'team/api', 'v1')
    expect(registry.tokenRequests.map(r => r.scopes)).toEqual([
      ['repository:team/app:delete,metadata_read,pull'],
      ['repository:team/api:delete,metadata_read,pull']
    ])
  })

  it('asks once for a batch of repositories named in advance', async () => {
    const c = client({ kind: 'anonymous' }, ['delete', 'metadata_read', 'pull'])
    const names = Array.from({ length: repositoriesPerToken + 2 }, (_, i) => `team/r${i}`)
    c.expectRepositories(names)
    for (const name of names.slice(0, 3)) await getManifest(c, name, 'v1')
    expect(registry.tokenRequests).toHaveLength(1)
    expect(registry.tokenRequests[0]?.scopes).toEqual(
      names
        .slice(0, repositoriesPerToken)
        .map(name => `repository:${name}:delete,metadata_read,pull`)
        .sort()
    )
    // The last two make a batch of their own.
    await getManifest(c, names[names.length - 1]!, 'v1')
    expect(registry.tokenRequests[1]?.scopes).toEqual(
      names.slice(repositoriesPerToken).map(name => `repository:${name}:delete,metadata_read,pull`)
    )
    expect(registry.tokenRequests).toHaveLength(2)
  })

  it('shares one token request between concurrent calls', async () => {
    const c = client()
    await getManifest(c, 'team/app', 'v1')
    registry.tokenRequests.length = 0
    await Promise.all(Array.from({ length: 5 }, () => getManifest(c, 'team/other', 'v1')))
    // The first 401s may each bring a challenge, but the token for the scope is fetched once.
    expect(registry.tokenRequests).toHaveLength(1)
  })

  it('renews a token before it expires', async () => {
    registry.expiresIn = 120
    const c = client()
    await getManifest(c, 'team/app', 'v1')
    now += 60_000
    await getManifest(c, 'team/app', 'v1')
    expect(registry.tokenRequests).toHaveLength(1)
    now += 40_000
    await getManifest(c, 'team/app', 'v1')
    expect(registry.tokenRequests).toHaveLength(2)
  })

  it('says the identity lacks the permission when a full token is still refused', async () => {
    registry.granted = () => false
    const error = await getManifest(client(), 'team/app', 'v1').catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).failure).toBe('insufficient-scope')
    expect((error as AuthError).message).toContain('repository:team/app:pull')
  })

  it('says the password is wrong when the token endpoint refuses it', async () => {
    registry.basic = 'Basic something-else'
    const error = await getManifest(
      client({ kind: 'basic', username: 'u', password: 'p' }),
      'a',
      'v1'
    ).catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).failure).toBe('credentials-rejected')
  })

  it('refuses to send credentials to a plain-HTTP realm that is not loopback', async () => {
    const authorizer = new Authorizer({
      transport,
      credentials: { kind: 'basic', username: 'u', password: 'p' },
      mask: () => undefined
    })
    const error = await authorizer
      .respond(
        registry.url,
        'Bearer realm="http://tokens.example.com/token",service="s"',
        [],
        undefined
      )
      .catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).failure).toBe('insecure-realm')
  })

  it('refuses a manifest whose bytes do not match the digest the registry claims', async () => {
    registry.servedDigest = sha256Digest('other bytes')
    await expect(getManifest(client(), 'team/app', 'v1')).rejects.toThrow(
      /does not match its digest/
    )
  })

  it('refuses a manifest over 4 MiB without reading it whole', async () => {
    registry.manifest = Buffer.alloc(maxManifestBytes + 1, 0x20)
    await expect(getManifest(client(), 'team/app', 'v1')).rejects.toMatchObject({
      code: 'MANIFEST_TOO_LARGE'
    })
  })
})
