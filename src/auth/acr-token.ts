// ACR's own token flow after Entra ID: the Entra access token is exchanged
// for an ACR refresh token (POST /oauth2/exchange, about 3 h), which buys
// access tokens per scope (POST /oauth2/token, about 75 min). The refresh token
// is kept and renewed before it expires; the Authorizer caches access tokens.

import type { Transport } from '../http/transport.js'
import type { TokenGrant, TokenRequest, TokenSource } from './credentials.js'
import { AuthError } from './errors.js'
import { tokenExpiry } from './token-util.js'

export interface AcrTokenSourceOptions {
  transport: Transport
  /** An Entra ID access token for ACR's audience, fresh or cached by the credential. */
  entraToken: () => Promise<string>
  tenantId?: string
  mask: (secret: string) => void
  now?: () => number
}

interface RefreshToken {
  token: string
  expiresAt: number
  obtainedAt: number
}

interface Pending {
  promise: Promise<RefreshToken>
  value?: RefreshToken
}

type Response = Awaited<ReturnType<Transport['send']>>

export class AcrTokenSource implements TokenSource {
  private current: Pending | undefined
  private readonly now: () => number

  constructor(private readonly options: AcrTokenSourceOptions) {
    this.now = options.now ?? Date.now
  }

  async fetchToken(request: TokenRequest): Promise<TokenGrant> {
    let response = await this.askForAccess(request, await this.refreshToken(request))
    if (response.status === 401) {
      // The refresh token was revoked or expired early: exchange once more, then give up.
      await response.discard()
      this.current = undefined
      response = await this.askForAccess(request, await this.refreshToken(request))
    }
    if (response.status !== 200) throw await endpointError(response, request.realm, 'token')
    const { access_token: token, expires_in: expiresIn } = await response.json<{
      access_token?: string
      expires_in?: number
    }>()
    if (!token)
      throw new AuthError('token-endpoint', `${request.realm.host} returned no access token`)
    this.options.mask(token)
    return { token, expiresAt: tokenExpiry(token, expiresIn, undefined, this.now()) }
  }

  private askForAccess(request: TokenRequest, refresh: RefreshToken): Promise<Response> {
    return this.post(request.realm, {
      grant_type: 'refresh_token',
      service: request.service,
      scope: request.scopes,
      refresh_token: refresh.token
    })
  }

  // One exchange at a time, shared by concurrent token requests, renewed when
  // a quarter of its life (at most five minutes) is left.
  private refreshToken(request: TokenRequest): Promise<RefreshToken> {
    const current = this.current
    if (current && (current.value === undefined || this.fresh(current.value)))
      return current.promise
    const entry: Pending = { promise: this.exchange(request) }
    entry.promise.then(
      value => (entry.value = value),
      () => {
        if (this.current === entry) this.current = undefined
      }
    )
    this.current = entry
    return entry.promise
  }

  private fresh(refresh: RefreshToken): boolean {
    const margin = Math.min(5 * 60_000, (refresh.expiresAt - refresh.obtainedAt) / 4)
    return refresh.expiresAt - this.now() > margin
  }

  private async exchange(request: TokenRequest): Promise<RefreshToken> {
    const obtainedAt = this.now()
    const entraToken = await this.options.entraToken()
    const form: Record<string, string> = {
      grant_type: 'access_token',
      service: request.service,
      access_token: entraToken
    }
    if (this.options.tenantId) form.tenant = this.options.tenantId
    const url = new URL('/oauth2/exchange', request.realm)
    const response = await this.post(url, form)
    if (response.status !== 200) throw await endpointError(response, url, 'exchange')
    const { refresh_token: token } = await response.json<{ refresh_token?: string }>()
    if (!token) throw new AuthError('token-endpoint', `${url.host} returned no refresh token`)
    this.options.mask(token)
    return { token, expiresAt: tokenExpiry(token, undefined, undefined, obtainedAt), obtainedAt }
  }

  private post(url: URL, form: Record<string, string | string[]>): Promise<Response> {
    const body = new URLSearchParams()
    for (const [name, value] of Object.entries(form)) {
      for (const item of Array.isArray(value) ? value : [value]) body.append(name, item)
    }
    return this.options.transport.send({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString()
    })
  }
}

async function endpointError(
  response: Response,
  url: URL,
  step: 'exchange' | 'token'
): Promise<AuthError> {
  const text = (await response.text()).slice(0, 300)
  const hint =
    response.status === 401 || response.status === 403
      ? step === 'exchange'
        ? ': the registry did not accept the Entra ID token; give the identity a role on this registry (AcrPull, AcrPush or AcrDelete) and check the audience input'
        : ': the registry refused the refresh token'
      : ''
  return new AuthError(
    response.status === 401 || response.status === 403 ? 'credentials-rejected' : 'token-endpoint',
    `${url.host} ${step === 'exchange' ? '/oauth2/exchange' : '/oauth2/token'} answered ${response.status}${hint} (${text})`
  )
}
