// An Entra ID authority as MSAL inside @azure/identity sees it with instance
// discovery off: the tenant's openid-configuration and its v2.0 token
// endpoint. Client assertions are checked like Entra checks them against
// federated credentials, and refused with Entra's own error codes and shape.

import { randomUUID } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type http from 'node:http'
import type { CertificateAuthority } from '../rig/tls.js'
import { readBody, sendJson, startHttpsServer, type EmulatorServer } from './https.js'
import {
  decodeJwt,
  generateSigningKey,
  nowSeconds,
  signJwt,
  verifyJwt,
  type Claims
} from './jwt.js'

export interface FederatedCredential {
  tenantId: string
  clientId: string
  issuer: string
  subject: string
  audience: string
}

export interface EntraOptions {
  ca: CertificateAuthority
  /** Issuers whose ID tokens may serve as client assertions, with their signing keys. */
  trustedIssuers: Array<{ issuer: string; publicKey: KeyObject }>
  federatedCredentials: FederatedCredential[]
  accessTokenLifetimeSeconds?: number
  clock?: () => number
}

export interface EntraIdentity {
  oid: string
  tid: string
  appid: string
  aud: string
}

export interface EntraEmulator {
  url: string
  verifyAccessToken(token: string): EntraIdentity | undefined
  issuedTokens(): string[]
  tokenRequestCount(): number
  requests(): Array<{ method: string; path: string; status: number }>
  stop(): Promise<void>
}

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

class EntraRefusal {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string
  ) {}
}

export async function startEntraId(options: EntraOptions): Promise<EntraEmulator> {
  const signingKey = generateSigningKey(randomUUID())
  const clock = options.clock ?? Date.now
  const issued: string[] = []
  const tenants = new Set(options.federatedCredentials.map(c => c.tenantId))
  let base = ''

  const refuse = (res: http.ServerResponse, refusal: EntraRefusal): void => {
    const traceId = randomUUID()
    const correlationId = randomUUID()
    const timestamp = new Date(clock())
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z')
    sendJson(res, refusal.status, {
      error: refusal.error,
      error_description: `AADSTS${refusal.code}: ${refusal.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [refusal.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId
    })
  }

  const openidConfiguration = (tenant: string): Record<string, unknown> => ({
    token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic'
    ],
    jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/${tenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base}/oidc/userinfo`,
    authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid'],
    kerberos_endpoint: `${base}/${tenant}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net'
  })

  // The order Entra checks in: tenant, client, assertion signature and time, then the federated match.
  const issue = (tenant: string, form: URLSearchParams): Claims | EntraRefusal => {
    if (!tenants.has(tenant)) {
      return new EntraRefusal(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`)
    }
    const clientId = form.get('client_id') ?? ''
    const credentials = options.federatedCredentials.filter(
      c => c.tenantId === tenant && c.clientId === clientId
    )
    if (credentials.length === 0) {
      return new EntraRefusal(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`
      )
    }
    if (
      form.get('grant_type') !== 'client_credentials' ||
      form.get('client_assertion_type') !== assertionType
    ) {
      return new EntraRefusal(
        400,
        'invalid_request',
        900144,
        "The request body must contain the parameter 'client_assertion'."
      )
    }
    const scope = form.get('scope') ?? ''
    if (!scope.endsWith('/.default')) {
      return new EntraRefusal(
        400,
        'invalid_scope',
        70011,
        `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`
      )
    }
    const assertion = form.get('client_assertion') ?? ''
    const unverified = decodeJwt(assertion) ?? {}
    const trusted = options.trustedIssuers.find(i => i.issuer === unverified.iss)
    const claims = trusted ? verifyJwt(assertion, trusted.publicKey) : undefined
    if (trusted && !claims) {
      return new EntraRefusal(
        401,
        'invalid_client',
        50013,
        'Assertion failed signature validation.'
      )
    }
    const now = nowSeconds(clock)
    if (claims && typeof claims.exp === 'number' && claims.exp < now) {
      return new EntraRefusal(
        400,
        'invalid_client',
        700024,
        'Client assertion is not within its valid time range.'
      )
    }
    const byIssuer = credentials.filter(c => c.issuer === unverified.iss)
    if (!claims || byIssuer.length === 0) {
      return new EntraRefusal(
        400,
        'invalid_request',
        700211,
        `No matching federated identity record found for presented assertion issuer '${String(unverified.iss)}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`
      )
    }
    const bySubject = byIssuer.filter(c => c.subject === claims.sub)
    if (bySubject.length === 0) {
      const caseOnly = byIssuer.some(
        c => c.subject.toLowerCase() === String(claims.sub).toLowerCase()
      )
      return caseOnly
        ? new EntraRefusal(
            401,
            'invalid_client',
            7002138,
            `The subject '${String(claims.sub)}' matches with case-insensitive comparison, but not with case-sensitive comparison.`
          )
        : new EntraRefusal(
            401,
            'invalid_client',
            700213,
            `No matching federated identity record found for presented assertion subject '${String(claims.sub)}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`
          )
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (!bySubject.some(c => audiences.includes(c.audience))) {
      return new EntraRefusal(
        401,
        'invalid_client',
        700212,
        `No matching federated identity record found for presented assertion audience '${audiences.join(',')}'.`
      )
    }
    const lifetime = options.accessTokenLifetimeSeconds ?? 3599
    return {
      aud: scope.slice(0, -'/.default'.length),
      iss: `https://sts.windows.net/${tenant}/`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      appid: clientId,
      appidacr: '2',
      idtyp: 'app',
      oid: `oid-${clientId}`,
      sub: `oid-${clientId}`,
      tid: tenant,
      ver: '1.0'
    }
  }

  const server: EmulatorServer = await startHttpsServer(
    options.ca,
    'entra-id',
    async (req, res, url) => {
      const [, tenant = '', ...rest] = url.pathname.split('/')
      const route = rest.join('/')
      if (req.method === 'GET' && route === 'v2.0/.well-known/openid-configuration') {
        if (!tenants.has(tenant))
          return refuse(
            res,
            new EntraRefusal(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`)
          )
        return sendJson(res, 200, openidConfiguration(tenant))
      }
      if (req.method === 'POST' && route === 'oauth2/v2.0/token') {
        const outcome = issue(tenant, new URLSearchParams(await readBody(req)))
        if (outcome instanceof EntraRefusal) return refuse(res, outcome)
        const token = signJwt(outcome, signingKey)
        issued.push(token)
        const lifetime = Number(outcome.exp) - Number(outcome.iat)
        return sendJson(res, 200, {
          token_type: 'Bearer',
          expires_in: lifetime,
          ext_expires_in: lifetime,
          refresh_in: Math.floor(lifetime / 2),
          access_token: token
        })
      }
      sendJson(res, 404, { error: 'not_found' })
    }
  )
  base = server.url

  return {
    url: server.url,
    verifyAccessToken: token => {
      const claims = verifyJwt(token, signingKey.publicKey)
      if (!claims || typeof claims.exp !== 'number' || claims.exp < nowSeconds(clock))
        return undefined
      return {
        oid: String(claims.oid),
        tid: String(claims.tid),
        appid: String(claims.appid),
        aud: String(claims.aud)
      }
    },
    issuedTokens: () => [...issued],
    tokenRequestCount: () =>
      server.requests.filter(r => r.path.endsWith('/oauth2/v2.0/token')).length,
    requests: () => [...server.requests],
    stop: () => server.stop()
  }
}
