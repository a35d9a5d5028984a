// The runner's OIDC endpoint (ACTIONS_ID_TOKEN_REQUEST_URL): hands out RS256
// ID tokens with GitHub's claims, for the audience asked, to whoever shows
// the request token. Lifetime and subject are knobs so tests can make tokens
// expire mid-job and present the wrong subject.

import { randomBytes, randomUUID } from 'node:crypto'
import type { CertificateAuthority } from '../rig/tls.js'
import { bearerToken, sendJson, startHttpsServer, type EmulatorServer } from './https.js'
import { generateSigningKey, jwks, nowSeconds, signJwt, type SigningKey } from './jwt.js'

export interface RunnerOidcOptions {
  ca: CertificateAuthority
  subject?: string
  issuer?: string
  lifetimeSeconds?: number
  clock?: () => number
}

export interface RunnerOidcEmulator {
  url: string
  issuer: string
  signingKey: SigningKey
  /** ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, as the runner sets them with id-token: write. */
  env(): Record<string, string>
  setSubject(subject: string): void
  issuedTokens(): string[]
  /** Requests for a token, refused ones included. */
  tokenRequestCount(): number
  stop(): Promise<void>
}

export const defaultSubject = 'repo:octo-org/app:ref:refs/heads/main'

export async function startRunnerOidc(options: RunnerOidcOptions): Promise<RunnerOidcEmulator> {
  const signingKey = generateSigningKey(randomUUID())
  const requestToken = randomBytes(24).toString('base64url')
  const issuer = options.issuer ?? 'https://token.actions.githubusercontent.com'
  const clock = options.clock ?? Date.now
  const issued: string[] = []
  let subject = options.subject ?? defaultSubject

  const server: EmulatorServer = await startHttpsServer(
    options.ca,
    'runner-oidc',
    (req, res, url) => {
      if (url.pathname === '/.well-known/jwks') return sendJson(res, 200, jwks(signingKey))
      if (url.pathname !== '/_apis/distributedtask/token' || req.method !== 'GET') {
        return sendJson(res, 404, { message: 'not found' })
      }
      if (bearerToken(req) !== requestToken)
        return sendJson(res, 401, { message: 'Bad credentials' })
      const now = nowSeconds(clock)
      const token = signJwt(
        {
          jti: randomUUID(),
          sub: subject,
          aud: url.searchParams.get('audience') ?? 'https://github.com/octo-org',
          iss: issuer,
          iat: now,
          nbf: now - 5,
          exp: now + (options.lifetimeSeconds ?? 300),
          repository: 'octo-org/app',
          repository_owner: 'octo-org',
          ref: 'refs/heads/main',
          sha: 'a'.repeat(40),
          workflow: 'release',
          actor: 'octocat',
          event_name: 'push',
          run_id: '1',
          runner_environment: 'github-hosted',
          job_workflow_ref: 'octo-org/app/.github/workflows/release.yml@refs/heads/main'
        },
        signingKey
      )
      issued.push(token)
      sendJson(res, 200, { count: 1, value: token })
    }
  )

  return {
    url: server.url,
    issuer,
    signingKey,
    env: () => ({
      ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/_apis/distributedtask/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken
    }),
    setSubject: value => (subject = value),
    issuedTokens: () => [...issued],
    tokenRequestCount: () => server.requests.filter(r => r.path.endsWith('/token')).length,
    stop: () => server.stop()
  }
}
