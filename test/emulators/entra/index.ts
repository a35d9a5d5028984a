// An Entra ID authority as MSAL (inside @azure/identity's
// ClientAssertionCredential, with instance discovery off) sees it: each
// tenant's openid-configuration and v2.0 token endpoint, which swaps a
// federated client assertion for an app-only access token, or refuses with
// Entra's codes and JSON. `verifyAccessToken` lets a resource emulator (ACR)
// check the tokens as the real resource would.

import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import type { CertificateAuthority } from '../../rig/tls.js'
import { readForm, sendJson, startHttpsServer, type LoggedRequest } from '../https-server.js'
import { nowSeconds } from '../jwt.js'
import { AccessTokenMint, type EntraIdentity } from './access-tokens.js'
import { Directory, type FederatedCredential } from './directory.js'
import { EntraError, errorBody, refuse } from './errors.js'
import type { TrustedIssuer } from './federation.js'
import { openidConfiguration } from './metadata.js'
import { judgeTokenRequest } from './token-request.js'

export type { EntraIdentity } from './access-tokens.js'
export type { FederatedCredential } from './directory.js'
export type { TrustedIssuer } from './federation.js'

export interface EntraOptions {
  /** Without one, the emulator makes its own CA (see `ca` on the result). */
  ca?: CertificateAuthority
  /** Issuers whose ID tokens may serve as client assertions, with their signing keys. */
  trustedIssuers: TrustedIssuer[]
  /** Also define which tenants and applications exist. */
  federatedCredentials: FederatedCredential[]
  /** `expires_in` of access tokens; Entra's usual 3599 by default. */
  accessTokenLifetimeSeconds?: number
  /** Milliseconds since the epoch, like Date.now. */
  clock?: () => number
}

export interface TokenRequestRecord {
  tenant: string
  query: Record<string, string>
  form: Record<string, string>
  status: number
}

export interface EntraEmulator {
  /** The authority host, for `authorityHost`. */
  url: string
  ca: CertificateAuthority
  verifyAccessToken(token: string): EntraIdentity | undefined
  issuedTokens(): string[]
  requests(): LoggedRequest[]
  /** What each token request carried, in order. */
  tokenRequests(): TokenRequestRecord[]
  tokenRequestCount(): number
  stop(): Promise<void>
}

const configurationRoute = 'v2.0/.well-known/openid-configuration'
const tokenRoute = 'oauth2/v2.0/token'
const keysRoute = 'discovery/v2.0/keys'

// Entra asks resources to renew early only for tokens of two hours or more.
const refreshInThreshold = 7200

export async function startEntraEmulator(options: EntraOptions): Promise<EntraEmulator> {
  const clock = options.clock ?? Date.now
  const lifetime = options.accessTokenLifetimeSeconds ?? 3599
  const directory = new Directory(options.federatedCredentials)
  const mint = new AccessTokenMint(clock)
  const issued: string[] = []
  const tokenRequests: TokenRequestRecord[] = []
  let authority = ''

  const reply = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    body: Record<string, unknown> | EntraError,
    form?: URLSearchParams
  ): void => {
    // Entra takes the client's request id as the correlation id and echoes it.
    const clientRequestId =
      url.searchParams.get('client-request-id') ??
      header(req, 'client-request-id') ??
      form?.get('client-request-id') ??
      undefined
    const traceId = randomUUID()
    const headers: Record<string, string> = {
      'cache-control': 'no-store, no-cache',
      pragma: 'no-cache',
      'x-ms-request-id': traceId,
      ...(clientRequestId ? { 'client-request-id': clientRequestId } : {})
    }
    if (body instanceof EntraError) {
      const context = {
        traceId,
        correlationId: clientRequestId ?? randomUUID(),
        now: clock(),
        authority
      }
      return sendJson(res, body.status, errorBody(body, context), headers)
    }
    sendJson(res, 200, body, headers)
  }

  const server = await startHttpsServer({
    name: 'entra',
    ca: options.ca,
    handler: async (req, res, url) => {
      const [, tenantName = '', ...rest] = url.pathname.split('/')
      const route = rest.join('/')
      if (![configurationRoute, tokenRoute, keysRoute].includes(route)) {
        return sendJson(res, 404, { error: 'not_found' })
      }
      const tenantId = directory.tenant(tenantName)
      if (route === tokenRoute && req.method === 'POST') {
        const form = await readForm(req)
        const outcome = tenantId
          ? judgeTokenRequest(form, {
              tenantId,
              directory,
              trustedIssuers: options.trustedIssuers,
              nowSeconds: nowSeconds(clock)
            })
          : refuse.tenantNotFound(tenantName)
        tokenRequests.push({
          tenant: tenantName,
          query: Object.fromEntries(url.searchParams),
          form: Object.fromEntries(form),
          status: outcome instanceof EntraError ? outcome.status : 200
        })
        if (outcome instanceof EntraError) return reply(req, res, url, outcome, form)
        const token = mint.mint(outcome, lifetime)
        issued.push(token)
        return reply(
          req,
          res,
          url,
          {
            token_type: 'Bearer',
            expires_in: lifetime,
            ext_expires_in: lifetime,
            ...(lifetime >= refreshInThreshold ? { refresh_in: Math.floor(lifetime / 2) } : {}),
            access_token: token
          },
          form
        )
      }
      if (!tenantId) return reply(req, res, url, refuse.tenantNotFound(tenantName))
      if (route === tokenRoute) return reply(req, res, url, refuse.postOnly(req.method ?? ''))
      if (route === keysRoute) return reply(req, res, url, mint.jwks())
      reply(req, res, url, openidConfiguration(authority, tenantId))
    }
  })
  authority = server.url

  return {
    url: server.url,
    ca: server.ca,
    verifyAccessToken: token => mint.verify(token),
    issuedTokens: () => [...issued],
    requests: () => server.requests(),
    tokenRequests: () => tokenRequests.map(r => ({ ...r })),
    tokenRequestCount: () => tokenRequests.length,
    stop: () => server.stop()
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}
