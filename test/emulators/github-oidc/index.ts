// The runner's ID-token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) and GitHub's
// OIDC discovery: RS256 ID tokens for the audience asked, to whoever shows the
// job's request token. Subject, lifetime and clock are knobs, so tests can
// present a subject Entra does not know and let tokens expire without waiting.

import { randomBytes, randomUUID, type KeyObject } from 'node:crypto'
import type { CertificateAuthority } from '../../rig/tls.js'
import { bearerToken, sendJson, startHttpsServer, type LoggedRequest } from '../https-server.js'
import { generateSigningKey, nowSeconds, signJwt, jwks } from '../jwt.js'
import {
  defaultAudience,
  defaultRun,
  defaultSubject,
  idTokenClaims,
  type WorkflowRun
} from './claims.js'
import { configurationPath, jwksPath, openidConfiguration } from './discovery.js'

export { defaultRun, defaultSubject, type WorkflowRun } from './claims.js'

export const githubIssuer = 'https://token.actions.githubusercontent.com'

const tokenPath = '/_apis/distributedtask/token'

export interface GithubOidcOptions {
  /** Without one, the emulator makes its own CA (see `ca` on the result). */
  ca?: CertificateAuthority
  /** `iss` of the tokens; GitHub's own by default. */
  issuer?: string
  /** `sub` of the tokens; `repo:<repository>:ref:<ref>` by default. */
  subject?: string
  run?: Partial<WorkflowRun>
  /** GitHub's tokens live 5 minutes. */
  lifetimeSeconds?: number
  /** Milliseconds since the epoch, like Date.now. */
  clock?: () => number
}

export interface GithubOidcEmulator {
  url: string
  ca: CertificateAuthority
  issuer: string
  /** The key that verifies the ID tokens: what Entra fetches from the issuer's JWKS. */
  publicKey: KeyObject
  jwks(): { keys: Array<Record<string, unknown>> }
  /** ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, as the runner sets them with `id-token: write`. */
  env(): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string }
  setSubject(subject: string): void
  issuedTokens(): string[]
  /** Requests to the token endpoint, refused ones included. */
  requestCount(): number
  requests(): LoggedRequest[]
  stop(): Promise<void>
}

export async function startGithubOidcEmulator(
  options: GithubOidcOptions = {}
): Promise<GithubOidcEmulator> {
  const signingKey = generateSigningKey(randomUUID())
  const requestToken = randomBytes(32).toString('base64url')
  const issuer = options.issuer ?? githubIssuer
  const run: WorkflowRun = { ...defaultRun, ...options.run }
  const lifetimeSeconds = options.lifetimeSeconds ?? 300
  const clock = options.clock ?? Date.now
  const issued: string[] = []
  let subject = options.subject ?? defaultSubject(run)
  let serverUrl = ''

  const server = await startHttpsServer({
    name: 'githuboidc',
    ca: options.ca,
    handler: (req, res, url) => {
      if (req.method !== 'GET') return sendJson(res, 405, { message: 'Method not allowed' })
      if (url.pathname === configurationPath)
        return sendJson(res, 200, openidConfiguration(issuer, serverUrl))
      if (url.pathname === jwksPath) return sendJson(res, 200, jwks(signingKey))
      if (url.pathname !== tokenPath) return sendJson(res, 404, { message: 'Not found' })
      if (bearerToken(req) !== requestToken) return sendJson(res, 401, { message: 'Unauthorized' })
      const token = signJwt(
        idTokenClaims(run, {
          issuer,
          subject,
          audience: url.searchParams.get('audience') || defaultAudience(run),
          nowSeconds: nowSeconds(clock),
          lifetimeSeconds
        }),
        signingKey
      )
      issued.push(token)
      // The toolkit reads only `value`.
      sendJson(res, 200, { count: 1, value: token })
    }
  })
  serverUrl = server.url

  return {
    url: server.url,
    ca: server.ca,
    issuer,
    publicKey: signingKey.publicKey,
    jwks: () => jwks(signingKey),
    env: () => ({
      // The real URL carries a query already, which is why clients append `&audience=`.
      ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}${tokenPath}?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken
    }),
    setSubject: value => {
      subject = value
    },
    issuedTokens: () => [...issued],
    requestCount: () => server.requests().filter(r => r.path === tokenPath).length,
    requests: () => server.requests(),
    stop: () => server.stop()
  }
}
