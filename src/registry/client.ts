// The authenticated edge of the registry layer: every /v2/ call goes through
// `request`, which adds the Authorization header for the call's scopes and
// answers 401 challenges. The calls themselves (manifests, blobs, tags,
// referrers) live in their own modules and only say what they need.

import { AuthError } from '../auth/errors.js'
import type { Authorizer } from '../auth/authorizer.js'
import type { HttpResponse, RequestBody, Transport } from '../http/transport.js'
import { registryError } from './errors.js'

export interface RegistryRequest {
  method: string
  /** A path on the registry (`/v2/...`), or an absolute URL from a Location or Link header. */
  path: string | URL
  /** The token scopes the call needs, e.g. `repository:team/app:pull`. */
  scopes: string[]
  headers?: Record<string, string>
  body?: RequestBody
  maxRedirects?: number
  signal?: AbortSignal
  /** See HttpRequest.retry; the caller repeats the exchange with `retrying`. */
  retry?: boolean | 'throttled'
}

// One answer to a refused token: a token may have been revoked or expired on
// the way, but a second refusal is the registry's final word.
const maxChallengeRounds = 2

export class RegistryClient {
  readonly baseUrl: URL

  constructor(
    baseUrl: string | URL,
    private readonly transport: Transport,
    private readonly authorizer: Authorizer
  ) {
    this.baseUrl = new URL(baseUrl)
  }

  get host(): string {
    return this.baseUrl.host
  }

  async request(request: RegistryRequest): Promise<HttpResponse> {
    const url = new URL(request.path, this.baseUrl)
    let authorization = await this.authorizer.headerFor(url.origin, request.scopes)
    for (let round = 0; ; round++) {
      const headers = { ...request.headers }
      if (authorization !== undefined) headers.authorization = authorization
      const response = await this.transport.send({
        method: request.method,
        url,
        headers,
        body: request.body,
        maxRedirects: request.maxRedirects,
        signal: request.signal,
        retry: request.retry
      })
      if (response.status !== 401) return response

      const challenge = response.header('www-authenticate')
      if (round >= maxChallengeRounds) {
        throw await refused(response, `${request.method} ${url.pathname}`)
      }
      await response.discard()
      authorization = await this.authorizer.respond(
        url.origin,
        challenge,
        request.scopes,
        authorization
      )
    }
  }

  /** The repositories this run will touch, so that their tokens are asked for together. */
  expectRepositories(names: string[]): void {
    this.authorizer.expectRepositories(names)
  }

  /** Repeats a whole exchange on the failures the transport retries (see Transport.retrying). */
  retrying<T>(method: string, path: string | URL, task: () => Promise<T>): Promise<T> {
    return this.transport.retrying({ method, url: new URL(path, this.baseUrl) }, task)
  }

  /**
   * Checks that a registry answers at this address, learns how it wants to be
   * signed in to, and tells whether it is ACR (a login server under azurecr.*,
   * or ACR's correlation header, which every ACR response carries).
   */
  async ping(): Promise<RegistryInfo> {
    const response = await this.request({ method: 'GET', path: '/v2/', scopes: [] })
    if (response.status !== 200) {
      // A registry that throttles or fails answers all the same; only other answers say it is none.
      const what =
        response.status === 429 || response.status >= 500
          ? `${this.host} GET /v2/ kept failing after retries`
          : `${this.host} does not answer as an OCI registry at /v2/`
      throw await registryError(response, what)
    }
    await response.discard()
    const acr =
      /\.azurecr\.(io|cn|us)$/i.test(this.baseUrl.hostname) ||
      response.header('x-ms-correlation-request-id') !== undefined
    return { acr }
  }
}

export interface RegistryInfo {
  /** Whether the registry serves ACR's metadata API (/acr/v1). */
  acr: boolean
}

async function refused(response: HttpResponse, what: string): Promise<AuthError> {
  const error = await registryError(response, what)
  return new AuthError(
    'credentials-rejected',
    `${error.message}: the registry refused the credentials twice; check that this identity may access the registry`
  )
}
