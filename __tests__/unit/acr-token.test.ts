// ACR's exchange and token grants, and the runner's ID-token fetch, against
// scripted loopback endpoints: form fields, renewal, sharing and errors.

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import { AcrTokenSource } from '../../src/auth/acr-token.js'
import { AuthError } from '../../src/auth/errors.js'
import { GithubIdTokenSource } from '../../src/auth/github-oidc.js'
import { closeServer, listenOnLoopback } from '../../test/rig/loopback-server.js'
import { Transport } from '../../src/http/transport.js'

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none' })}.${part(claims)}.sig`
}

interface Seen {
  path: string
  form: URLSearchParams
  headers: http.IncomingHttpHeaders
}

class Endpoints {
  readonly seen: Seen[] = []
  refreshLifetime = 3600
  accessLifetime = 600
  rejectRefreshOnce = false
  exchangeStatus = 200
  now = Date.parse('2026-11-22T10:00:00Z')
  url = ''
  private server = http.createServer((req, res) => {
    let body = ''
    req.on('data', chunk => (body += String(chunk)))
    req.on('end', () => this.answer(req, res, body))
  })

  async start(): Promise<void> {
    this.url = await listenOnLoopback(this.server)
  }

  stop(): Promise<void> {
    return closeServer(this.server)
  }

  count(path: string): number {
    return this.seen.filter(s => s.path.startsWith(path)).length
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.url)
    const form = new URLSearchParams(body)
    this.seen.push({ path: url.pathname + url.search, form, headers: req.headers })
    const seconds = Math.floor(this.now / 1000)
    const send = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(value))
    }
    if (url.pathname === '/oauth2/exchange') {
      if (this.exchangeStatus !== 200)
        return send(this.exchangeStatus, { errors: [{ code: 'DENIED' }] })
      const n = this.count('/oauth2/exchange')
      return send(200, { refresh_token: jwt({ n, exp: seconds + this.refreshLifetime }) })
    }
    if (url.pathname === '/oauth2/token') {
      if (this.rejectRefreshOnce) {
        this.rejectRefreshOnce = false
        return send(401, { errors: [{ code: 'UNAUTHORIZED' }] })
      }
      return send(200, {
        access_token: jwt({ scope: form.getAll('scope'), exp: seconds + this.accessLifetime })
      })
    }
    if (url.pathname === '/id-token') {
      if (req.headers.authorization !== 'Bearer request-token') return send(401, { message: 'no' })
      return send(200, {
        value: jwt({
          sub: 'repo:org/app:ref:refs/heads/main',
          iss: 'https://issuer',
          aud: url.searchParams.get('audience')
        })
      })
    }
    send(404, {})
  }
}

describe('ACR token source', () => {
  let endpoints: Endpoints
  let transport: Transport
  let entraCalls: number
  let masked: string[]

  beforeEach(async () => {
    endpoints = new Endpoints()
    await endpoints.start()
    transport = new Transport({ proxy: {}, retry: { attempts: 1 } })
    entraCalls = 0
    masked = []
  })

  afterEach(async () => {
    await transport.close()
    await endpoints.stop()
  })

  function source(): AcrTokenSource {
    return new AcrTokenSource({
      transport,
      entraToken: async () => `entra-${++entraCalls}`,
      tenantId: 'tenant-1',
      mask: secret => masked.push(secret),
      now: () => endpoints.now
    })
  }

  const request = (scopes: string[]) => ({
    realm: new URL(`${endpoints.url}/oauth2/token`),
    service: 'myregistry.azurecr.io',
    scopes
  })

  it('exchanges the Entra token, then asks for the scopes with the refresh token', async () => {
    const grant = await source().fetchToken(request(['repository:a:pull', 'registry:catalog:*']))
    const [exchange, token] = endpoints.seen
    expect(exchange?.path).toBe('/oauth2/exchange')
    expect(Object.fromEntries(exchange!.form)).toEqual({
      grant_type: 'access_token',
      service: 'myregistry.azurecr.io',
      access_token: 'entra-1',
      tenant: 'tenant-1'
    })
    expect(exchange?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(token?.form.get('grant_type')).toBe('refresh_token')
    expect(token?.form.getAll('scope')).toEqual(['repository:a:pull', 'registry:catalog:*'])
    expect(token?.form.get('refresh_token')).toBe(masked[0])
    expect(grant.expiresAt).toBe(endpoints.now + 600_000)
    expect(masked).toEqual([token?.form.get('refresh_token'), grant.token])
  })

  it('keeps the refresh token for later scopes and renews it before it expires', async () => {
    const tokens = source()
    await tokens.fetchToken(request(['repository:a:pull']))
    await tokens.fetchToken(request(['repository:b:pull']))
    expect(endpoints.count('/oauth2/exchange')).toBe(1)
    endpoints.now += 3600_000 - 60_000
    await tokens.fetchToken(request(['repository:c:pull']))
    expect(endpoints.count('/oauth2/exchange')).toBe(2)
    expect(entraCalls).toBe(2)
  })

  it('shares one exchange between concurrent requests', async () => {
    const tokens = source()
    await Promise.all(
      ['a', 'b', 'c', 'd'].map(r => tokens.fetchToken(request([`repository:${r}:pull`])))
    )
    expect(endpoints.count('/oauth2/exchange')).toBe(1)
    expect(endpoints.count('/oauth2/token')).toBe(4)
  })

  it('exchanges again once when the refresh token is refused', async () => {
    const tokens = source()
    await tokens.fetchToken(request(['repository:a:pull']))
    endpoints.rejectRefreshOnce = true
    await tokens.fetchToken(request(['repository:b:pull']))
    expect(endpoints.count('/oauth2/exchange')).toBe(2)
  })

  it('says what to do when the registry refuses the Entra token', async () => {
    endpoints.exchangeStatus = 401
    const error = await source()
      .fetchToken(request(['repository:a:pull']))
      .catch(e => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toMatch(/did not accept the Entra ID token.*AcrPull/)
  })
})

describe('GitHub ID token source', () => {
  let endpoints: Endpoints
  let transport: Transport

  beforeEach(async () => {
    endpoints = new Endpoints()
    await endpoints.start()
    transport = new Transport({ proxy: {}, retry: { attempts: 1 } })
  })

  afterEach(async () => {
    await transport.close()
    await endpoints.stop()
  })

  it('asks the runner for a token for the audience, every time, and masks it', async () => {
    const masked: string[] = []
    const tokens = new GithubIdTokenSource(
      transport,
      'api://AzureADTokenExchange',
      s => masked.push(s),
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${endpoints.url}/id-token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token'
      }
    )
    const first = await tokens.fetchIdToken()
    await tokens.fetchIdToken()
    expect(endpoints.seen.map(s => s.path)).toEqual([
      '/id-token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange',
      '/id-token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange'
    ])
    expect(masked).toContain('request-token')
    expect(masked).toContain(first)
    expect(tokens.lastPresented).toEqual({
      sub: 'repo:org/app:ref:refs/heads/main',
      iss: 'https://issuer',
      aud: 'api://AzureADTokenExchange'
    })
  })

  it('tells the user to add the id-token permission when the runner offers no token', async () => {
    const tokens = new GithubIdTokenSource(transport, 'aud', () => undefined, {})
    await expect(tokens.fetchIdToken()).rejects.toThrow(/permissions: id-token: write/)
    expect(endpoints.seen).toHaveLength(0)
  })
})
