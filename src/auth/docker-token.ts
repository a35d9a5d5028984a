// The Docker registry token protocol (distribution's token spec): a GET to
// the challenge's realm with service and scope, anonymous or with Basic
// credentials. ACR answers it too for admin users and repository tokens.

import type { Transport } from '../http/transport.js'
import type { TokenGrant, TokenRequest, TokenSource } from './credentials.js'
import { AuthError } from './errors.js'
import { basicHeader, tokenExpiry } from './token-util.js'

interface TokenResponse {
  token?: string
  access_token?: string
  expires_in?: number
  issued_at?: string
}

export class DockerTokenSource implements TokenSource {
  constructor(
    private readonly transport: Transport,
    private readonly basic: { username: string; password: string } | undefined,
    private readonly mask: (secret: string) => void,
    private readonly now: () => number = Date.now
  ) {}

  async fetchToken(request: TokenRequest): Promise<TokenGrant> {
    const url = new URL(request.realm)
    url.searchParams.set('service', request.service)
    for (const scope of request.scopes) url.searchParams.append('scope', scope)
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.basic) headers.authorization = basicHeader(this.basic.username, this.basic.password)

    const response = await this.transport.send({ method: 'GET', url, headers })
    if (response.status === 401 || response.status === 403) {
      await response.discard()
      throw this.basic
        ? new AuthError(
            'credentials-rejected',
            `${url.host} rejected the username and password: check the username and password inputs (an ACR token or the admin user)`
          )
        : new AuthError(
            'anonymous-refused',
            `${url.host} does not allow anonymous access: sign in with client-id and tenant-id (OIDC) or username and password`
          )
    }
    if (response.status !== 200) {
      const body = (await response.text()).slice(0, 300)
      throw new AuthError(
        'token-endpoint',
        `the token endpoint ${url.origin}${url.pathname} answered ${response.status}: ${body}`
      )
    }
    const body = await response.json<TokenResponse>()
    const token = body.token ?? body.access_token
    if (!token) {
      throw new AuthError('token-endpoint', `the token endpoint at ${url.host} returned no token`)
    }
    this.mask(token)
    return { token, expiresAt: tokenExpiry(token, body.expires_in, body.issued_at, this.now()) }
  }
}
