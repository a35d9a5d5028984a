// The runner's ID token: a GET to ACTIONS_ID_TOKEN_REQUEST_URL with the
// request token, through the action's one transport. A token lives about
// five minutes, so it is fetched anew whenever Entra ID needs an assertion.

import type { Transport } from '../http/transport.js'
import { AuthError } from './errors.js'
import { decodeClaims } from './token-util.js'

export interface PresentedAssertion {
  sub?: string
  iss?: string
  aud?: string
}

export class GithubIdTokenSource {
  /** The claims of the last ID token handed out, to explain a federated-credential mismatch. */
  lastPresented: PresentedAssertion | undefined
  private requestCount = 0

  constructor(
    private readonly transport: Transport,
    private readonly audience: string,
    private readonly mask: (secret: string) => void,
    private readonly env: NodeJS.ProcessEnv = process.env
  ) {}

  get requests(): number {
    return this.requestCount
  }

  async fetchIdToken(): Promise<string> {
    const requestUrl = this.env.ACTIONS_ID_TOKEN_REQUEST_URL
    const requestToken = this.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    if (!requestUrl || !requestToken) throw missingIdTokenPermission()
    this.mask(requestToken)
    const url = new URL(requestUrl)
    url.searchParams.set('audience', this.audience)
    this.requestCount++
    const response = await this.transport.send({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' }
    })
    if (response.status !== 200) {
      const body = (await response.text()).slice(0, 200)
      throw new AuthError(
        'oidc',
        `the runner refused an OIDC token (${response.status} ${body}): check that the job has \`permissions: id-token: write\``
      )
    }
    const { value } = await response.json<{ value?: string }>()
    if (!value) throw new AuthError('oidc', 'the runner answered without an OIDC token')
    this.mask(value)
    const claims = decodeClaims(value) ?? {}
    this.lastPresented = {
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      iss: typeof claims.iss === 'string' ? claims.iss : undefined,
      aud: Array.isArray(claims.aud)
        ? claims.aud.join(',')
        : typeof claims.aud === 'string'
          ? claims.aud
          : undefined
    }
    return value
  }
}

export function missingIdTokenPermission(): AuthError {
  return new AuthError(
    'oidc',
    'no GitHub OIDC token is available (ACTIONS_ID_TOKEN_REQUEST_URL is not set): add `permissions: id-token: write` to the job, or sign in with username and password'
  )
}
