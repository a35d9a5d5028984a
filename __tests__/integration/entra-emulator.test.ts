// The Entra ID and GitHub OIDC emulators against the real @azure/identity
// (ClientAssertionCredential, MSAL inside): if MSAL accepts what the emulators
// serve and the emulators refuse what Entra refuses, with Entra's codes, then
// tests of the action's sign-in exercise something close to production.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { ClientAssertionCredential } from '@azure/identity'
import { createPublicKey } from 'node:crypto'
import { Agent, request } from 'undici'
import { startEntraEmulator, type EntraEmulator } from '../../test/emulators/entra/index.js'
import {
  startGithubOidcEmulator,
  type GithubOidcEmulator
} from '../../test/emulators/github-oidc/index.js'
import { decodeJwt, generateSigningKey, signJwt, verifyJwt } from '../../test/emulators/jwt.js'

const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const clientId = '11111111-2222-4333-8444-555555555555'
const subject = 'repo:octo-org/app:ref:refs/heads/main'
const exchangeAudience = 'api://AzureADTokenExchange'
const scope = 'https://containerregistry.azure.net/.default'

let github: GithubOidcEmulator
let entra: EntraEmulator
// For the test's own HTTPS calls; the credential gets the CA through tlsOptions.
let agent: Agent

beforeAll(async () => {
  github = await startGithubOidcEmulator({ subject })
  entra = await startEntraEmulator({
    ca: github.ca,
    trustedIssuers: [{ issuer: github.issuer, publicKey: github.publicKey }],
    federatedCredentials: [
      { tenantId, clientId, issuer: github.issuer, subject, audience: exchangeAudience }
    ],
    accessTokenLifetimeSeconds: 30
  })
  agent = new Agent({ connect: { ca: github.ca.pem } })
})

afterAll(async () => {
  await agent.close()
  await entra.stop()
  await github.stop()
})

afterEach(() => github.setSubject(subject))

async function call(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; form?: Record<string, string> } = {}
): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  const headers = { ...options.headers }
  if (options.form) headers['content-type'] = 'application/x-www-form-urlencoded'
  const res = await request(url, {
    method: method as 'GET',
    headers,
    body: options.form ? new URLSearchParams(options.form).toString() : undefined,
    dispatcher: agent
  })
  return {
    status: res.statusCode,
    headers: res.headers,
    body: (await res.body.json()) as Record<string, unknown>
  }
}

/** What @actions/core getIDToken does: the request URL plus `&audience=`, with the request token. */
async function fetchIdToken(
  from: GithubOidcEmulator = github,
  audience: string | null = exchangeAudience
): Promise<string> {
  const env = from.env()
  const query = audience === null ? '' : `&audience=${encodeURIComponent(audience)}`
  const reply = await call('GET', `${env.ACTIONS_ID_TOKEN_REQUEST_URL}${query}`, {
    headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }
  })
  if (reply.status !== 200 || typeof reply.body.value !== 'string') {
    throw new Error(`ID token request answered ${reply.status}`)
  }
  return reply.body.value
}

function credential(
  getAssertion: () => Promise<string>,
  options: { tenant?: string; client?: string; authority?: EntraEmulator; trustCa?: boolean } = {}
): ClientAssertionCredential {
  const authority = options.authority ?? entra
  return new ClientAssertionCredential(
    options.tenant ?? tenantId,
    options.client ?? clientId,
    getAssertion,
    {
      authorityHost: authority.url,
      disableInstanceDiscovery: true,
      ...(options.trustCa === false ? {} : { tlsOptions: { ca: authority.ca.pem } }),
      // A refused TLS handshake would otherwise be retried with back-off.
      retryOptions: { maxRetries: 0 }
    }
  )
}

async function signInError(
  getAssertion: () => Promise<string>,
  options: Parameters<typeof credential>[1] = {},
  requested = scope
): Promise<Error> {
  const outcome = await credential(getAssertion, options)
    .getToken(requested)
    .then(
      () => undefined,
      (error: unknown) => error
    )
  if (!(outcome instanceof Error)) throw new Error('sign-in succeeded but should have failed')
  return outcome
}

function lastTokenRequest(): { status: number; form: Record<string, string> } {
  const last = entra.tokenRequests().at(-1)
  if (!last) throw new Error('no token request reached the Entra emulator')
  return last
}

describe('GitHub OIDC emulator', () => {
  it('issues RS256 ID tokens with GitHub claims for the requested audience', async () => {
    const token = await fetchIdToken()
    const claims = verifyJwt(token, github.publicKey)
    expect(claims).toMatchObject({
      iss: 'https://token.actions.githubusercontent.com',
      sub: subject,
      aud: exchangeAudience,
      repository: 'octo-org/app',
      ref: 'refs/heads/main',
      runner_environment: 'github-hosted',
      job_workflow_ref: 'octo-org/app/.github/workflows/release.yml@refs/heads/main'
    })
    expect(Number(claims?.exp) - Number(claims?.iat)).toBe(300)
    expect(github.issuedTokens().at(-1)).toBe(token)
    // Without an audience GitHub names the repository owner.
    expect(decodeJwt(await fetchIdToken(github, null))?.aud).toBe('https://github.com/octo-org')
  })

  it('publishes the issuer and a JWKS that verifies its tokens', async () => {
    const configuration = await call('GET', `${github.url}/.well-known/openid-configuration`)
    expect(configuration.body).toMatchObject({
      issuer: github.issuer,
      jwks_uri: `${github.url}/.well-known/jwks`,
      id_token_signing_alg_values_supported: ['RS256']
    })
    const keys = (await call('GET', String(configuration.body.jwks_uri))).body.keys as Array<
      Record<string, string>
    >
    expect(keys).toEqual(github.jwks().keys)
    const published = createPublicKey({ key: keys[0] ?? {}, format: 'jwk' })
    expect(verifyJwt(await fetchIdToken(), published)).toBeDefined()
  })

  it('refuses a missing or wrong request token, and counts every request', async () => {
    const before = github.requestCount()
    const url = `${github.env().ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${exchangeAudience}`
    expect((await call('GET', url)).status).toBe(401)
    expect((await call('GET', url, { headers: { authorization: 'Bearer nope' } })).status).toBe(401)
    await fetchIdToken()
    expect(github.requestCount() - before).toBe(3)
  })
})

describe('Entra emulator with the real ClientAssertionCredential', () => {
  it('issues an access token for ACR after exactly the two requests MSAL makes', async () => {
    const before = entra.requests().length
    const asked = Date.now()
    const token = await credential(() => fetchIdToken()).getToken(scope)
    const answered = Date.now()

    expect(entra.verifyAccessToken(token.token)).toEqual({
      oid: expect.stringMatching(/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/),
      tid: tenantId,
      appid: clientId,
      aud: 'https://containerregistry.azure.net'
    })
    expect(decodeJwt(token.token)).toMatchObject({
      iss: `https://sts.windows.net/${tenantId}/`,
      idtyp: 'app',
      appidacr: '2',
      ver: '1.0'
    })
    // MSAL rounds its clock to the second, so `expires_in: 30` lands within 30 ± 1 s of the
    // request, however long the machine took over it.
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual(asked + 29_000)
    expect(token.expiresOnTimestamp).toBeLessThanOrEqual(answered + 31_000)
    // No instance discovery, so nothing but the tenant's metadata and its token endpoint.
    expect(
      entra
        .requests()
        .slice(before)
        .map(r => `${r.method} ${r.path} ${r.status}`)
    ).toEqual([
      `GET /${tenantId}/v2.0/.well-known/openid-configuration 200`,
      `POST /${tenantId}/oauth2/v2.0/token 200`
    ])
    const sent = lastTokenRequest().form
    expect(sent).toMatchObject({
      grant_type: 'client_credentials',
      client_id: clientId,
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
    })
    expect(github.issuedTokens()).toContain(sent.client_assertion)
  })

  it('is trusted only through tlsOptions, which reach MSAL', async () => {
    const before = entra.requests().length
    const error = await signInError(() => fetchIdToken(), { trustCa: false })
    expect(error.message).toContain('endpoints_resolution_error')
    // The handshake failed, so no request reached the server.
    expect(entra.requests().length).toBe(before)
  })

  it('goes back to Entra with a new ID token on every getToken while tokens live 30 s', async () => {
    const signIn = credential(() => fetchIdToken())
    const entraBefore = entra.tokenRequestCount()
    const githubBefore = github.requestCount()
    const tokens = [
      await signIn.getToken(scope),
      await signIn.getToken(scope),
      await signIn.getToken(scope)
    ].map(t => t.token)

    expect(entra.tokenRequestCount() - entraBefore).toBe(3)
    expect(github.requestCount() - githubBefore).toBeGreaterThanOrEqual(3)
    expect(new Set(tokens).size).toBe(3)
    expect(tokens.every(t => entra.verifyAccessToken(t) !== undefined)).toBe(true)
    const assertions = entra
      .tokenRequests()
      .slice(entraBefore)
      .map(r => r.form.client_assertion)
    expect(new Set(assertions).size).toBe(3)
    expect(assertions.every(a => a !== undefined && github.issuedTokens().includes(a))).toBe(true)
  })

  it('names the presented subject when no federated credential matches (AADSTS700213)', async () => {
    github.setSubject('repo:octo-org/app:pull_request')
    const error = await signInError(() => fetchIdToken())
    expect(error.message).toContain('AADSTS700213')
    expect(error.message).toContain("presented assertion subject 'repo:octo-org/app:pull_request'")
    expect(lastTokenRequest().status).toBe(401)
  })

  it('tells a subject that differs only in case apart (AADSTS7002138)', async () => {
    github.setSubject('repo:Octo-Org/app:ref:refs/heads/main')
    const error = await signInError(() => fetchIdToken())
    expect(error.message).toContain('AADSTS7002138')
    expect(error.message).toContain('case-insensitive comparison')
  })

  it('refuses an ID token made for another audience (AADSTS700212)', async () => {
    // The classic slip: asking GitHub for a token without an audience.
    const error = await signInError(() => fetchIdToken(github, null))
    expect(error.message).toContain('AADSTS700212')
    expect(error.message).toContain("audience 'https://github.com/octo-org'")
  })

  it('refuses an unknown issuer (AADSTS700211) and a forged signature (AADSTS50013)', async () => {
    const forger = generateSigningKey('forged')
    const genuine = decodeJwt(await fetchIdToken()) ?? {}
    const enterpriseIssuer = 'https://token.actions.githubusercontent.com/octo-enterprise'
    const unknownIssuer = await signInError(async () =>
      signJwt({ ...genuine, iss: enterpriseIssuer }, forger)
    )
    expect(unknownIssuer.message).toContain(`AADSTS700211`)
    expect(unknownIssuer.message).toContain(`issuer '${enterpriseIssuer}'`)

    const forged = await signInError(async () => signJwt(genuine, forger))
    expect(forged.message).toContain('AADSTS50013')
  })

  it('refuses an unknown client (AADSTS700016) and a malformed scope (AADSTS70011)', async () => {
    const stranger = '00000000-0000-4000-8000-000000000000'
    const unknownClient = await signInError(() => fetchIdToken(), { client: stranger })
    expect(unknownClient.message).toContain('AADSTS700016')
    expect(unknownClient.message).toContain(`'${stranger}'`)
    expect(lastTokenRequest().status).toBe(400)

    const badScope = await signInError(() => fetchIdToken(), {}, 'containerregistry')
    expect(badScope.message).toContain('AADSTS70011')
  })

  it('answers an unknown tenant with AADSTS90002, which MSAL reports as unresolvable', async () => {
    const unknownTenant = '00000000-0000-4000-8000-00000000dead'
    const tokenRequests = entra.tokenRequestCount()
    const error = await signInError(() => fetchIdToken(), { tenant: unknownTenant })
    expect(error.message).toContain('endpoints_resolution_error')
    expect(entra.requests().at(-1)).toEqual({
      method: 'GET',
      path: `/${unknownTenant}/v2.0/.well-known/openid-configuration`,
      status: 400,
      auth: 'none'
    })
    expect(entra.tokenRequestCount()).toBe(tokenRequests)

    const direct = await call(
      'GET',
      `${entra.url}/${unknownTenant}/v2.0/.well-known/openid-configuration`
    )
    expect(direct.body).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] })
    expect(String(direct.body.error_description)).toMatch(
      new RegExp(`^AADSTS90002: Tenant '${unknownTenant}' not found\\.`)
    )
  })
})

describe('Entra emulator on the wire', () => {
  const tokenUrl = (): string => `${entra.url}/${tenantId}/oauth2/v2.0/token`
  const grant = (assertion: string): Record<string, string> => ({
    grant_type: 'client_credentials',
    client_id: clientId,
    scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion
  })

  it("refuses with Entra's JSON: codes, trace and the client's request id as correlation id", async () => {
    github.setSubject('repo:octo-org/app:environment:prod')
    const requestId = '5a1b2c3d-0000-4000-8000-000000000001'
    const reply = await call('POST', `${tokenUrl()}?client-request-id=${requestId}`, {
      form: grant(await fetchIdToken())
    })
    expect(reply.status).toBe(401)
    expect(Object.keys(reply.body).sort()).toEqual(
      [
        'correlation_id',
        'error',
        'error_codes',
        'error_description',
        'error_uri',
        'timestamp',
        'trace_id'
      ].sort()
    )
    const { trace_id: traceId, timestamp } = reply.body
    expect(reply.body).toMatchObject({
      error: 'invalid_client',
      error_codes: [700213],
      correlation_id: requestId,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/)
    })
    expect(reply.body.error_description).toBe(
      "AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:octo-org/app:environment:prod'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation" +
        ` Trace ID: ${String(traceId)} Correlation ID: ${requestId} Timestamp: ${String(timestamp)}`
    )
    expect(reply.headers['x-ms-request-id']).toBe(traceId)
    expect(reply.headers['client-request-id']).toBe(requestId)
  })

  it('answers a good grant with the token response Entra sends', async () => {
    const reply = await call('POST', tokenUrl(), { form: grant(await fetchIdToken()) })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      token_type: 'Bearer',
      expires_in: 30,
      ext_expires_in: 30,
      access_token: expect.any(String)
    })
    expect(reply.headers['cache-control']).toBe('no-store, no-cache')
  })

  it('refuses malformed token requests with the code Entra gives each', async () => {
    const assertion = await fetchIdToken()
    const cases: Array<[string, Record<string, string>, number, number]> = [
      ['no grant_type', { ...grant(assertion), grant_type: '' }, 400, 900144],
      ['another grant', { ...grant(assertion), grant_type: 'password' }, 400, 70003],
      ['no client_id', { ...grant(assertion), client_id: '' }, 400, 900144],
      ['a resource scope', { ...grant(assertion), scope: `${scope.slice(0, -9)}/x` }, 400, 1002012],
      ['no assertion', { ...grant(''), client_assertion: '' }, 401, 7000218],
      ['not a JWT', grant('not-a-jwt'), 400, 50027]
    ]
    for (const [name, form, status, code] of cases) {
      const reply = await call('POST', tokenUrl(), { form })
      expect({ name, status: reply.status, codes: reply.body.error_codes }).toEqual({
        name,
        status,
        codes: [code]
      })
    }
    const get = await call('GET', tokenUrl())
    expect(get.body.error_codes).toEqual([900561])
  })

  it("publishes the tenant's metadata, and keys that verify its access tokens", async () => {
    const base = `${entra.url}/${tenantId}`
    const metadata = (await call('GET', `${base}/v2.0/.well-known/openid-configuration`)).body
    expect(metadata).toMatchObject({
      issuer: `${base}/v2.0`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      cloud_instance_name: 'microsoftonline.com'
    })
    const token = await credential(() => fetchIdToken()).getToken(scope)
    expect(entra.issuedTokens().at(-1)).toBe(token.token)
    const keys = (await call('GET', String(metadata.jwks_uri))).body.keys as Array<
      Record<string, string>
    >
    const key = createPublicKey({ key: keys[0] ?? {}, format: 'jwk' })
    expect(verifyJwt(token.token, key)).toMatchObject({ tid: tenantId, appid: clientId })
  })

  it('verifies only its own, unexpired access tokens', async () => {
    const genuine = await credential(() => fetchIdToken()).getToken(scope)
    const claims = decodeJwt(genuine.token) ?? {}
    expect(entra.verifyAccessToken(genuine.token)).toBeDefined()
    expect(entra.verifyAccessToken(signJwt(claims, generateSigningKey('other')))).toBeUndefined()
    expect(entra.verifyAccessToken('not.a.token')).toBeUndefined()
  })
})

describe('token lifetimes on a shared clock', () => {
  let now = Date.now()
  const clock = (): number => now
  let shortGithub: GithubOidcEmulator
  let clockedEntra: EntraEmulator

  beforeAll(async () => {
    shortGithub = await startGithubOidcEmulator({
      ca: github.ca,
      subject,
      lifetimeSeconds: 20,
      clock
    })
    clockedEntra = await startEntraEmulator({
      ca: github.ca,
      clock,
      trustedIssuers: [{ issuer: shortGithub.issuer, publicKey: shortGithub.publicKey }],
      federatedCredentials: [
        { tenantId, clientId, issuer: shortGithub.issuer, subject, audience: exchangeAudience }
      ],
      accessTokenLifetimeSeconds: 30
    })
  })

  afterAll(async () => {
    await clockedEntra.stop()
    await shortGithub.stop()
  })

  it('refuses an ID token kept past its 20 s (AADSTS700024)', async () => {
    let kept: string | undefined
    const keeping = credential(async () => (kept ??= await fetchIdToken(shortGithub)), {
      authority: clockedEntra
    })
    await keeping.getToken(scope)
    const claims = decodeJwt(kept ?? '') ?? {}
    expect(Number(claims.exp) - Number(claims.iat)).toBe(20)

    now += 20_000
    const error = await keeping.getToken(scope).then(
      () => undefined,
      (e: unknown) => e as Error
    )
    expect(error?.message).toContain('AADSTS700024')
    expect(error?.message).toContain('Client assertion is not within its valid time range.')
    expect(clockedEntra.tokenRequests().map(r => r.status)).toEqual([200, 401])
  })

  it('keeps signing in with fresh ID tokens as time passes, and expires Entra tokens at 30 s', async () => {
    const fresh = credential(() => fetchIdToken(shortGithub), { authority: clockedEntra })
    const first = (await fresh.getToken(scope)).token
    now += 29_000
    expect(clockedEntra.verifyAccessToken(first)).toBeDefined()
    now += 1_000
    expect(clockedEntra.verifyAccessToken(first)).toBeUndefined()

    now += 60_000
    const later = (await fresh.getToken(scope)).token
    expect(clockedEntra.verifyAccessToken(later)).toBeDefined()
    const presented = clockedEntra.tokenRequests().at(-1)?.form.client_assertion ?? ''
    expect(decodeJwt(presented)?.iat).toBe(Math.floor(now / 1000))
  })
})
