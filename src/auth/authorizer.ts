// Turns a registry's 401 challenges into Authorization headers, and remembers
// them so later requests to the same registry carry a token from the start.
// Tokens are cached per realm, service and scope set; concurrent requests for
// the same scopes share one token request, and a token is renewed before it expires.

import { isLoopbackHostname } from '../http/loopback.js'
import type { Transport } from '../http/transport.js'
import { parseChallenges, pickChallenge, type Challenge } from './challenge.js'
import type { Credentials, TokenGrant, TokenSource } from './credentials.js'
import { DockerTokenSource } from './docker-token.js'
import { AuthError } from './errors.js'
import { mergeScopes } from './scopes.js'
import { basicHeader } from './token-util.js'

export interface AuthorizerOptions {
  transport: Transport
  credentials: Credentials
  /** Called with every secret the moment it exists (core.setSecret in the action). */
  mask: (secret: string) => void
  now?: () => number
  /**
   * Actions the run will take on every repository it touches (a prune: pull,
   * metadata_read, delete). A token for one of them asks for all, so each
   * repository costs one token request instead of one per kind of request;
   * the token service grants only what the identity holds.
   */
  repositoryActions?: string[]
}

interface CachedToken {
  grant: Promise<TokenGrant>
  /** Set once the request for it has answered. */
  value?: TokenGrant
  obtainedAt: number
}

/**
 * Repositories one token covers when a run names them in advance: a handful
 * keep the token well under the size of a request header.
 */
export const repositoriesPerToken = 10

export class Authorizer {
  private readonly challenges = new Map<string, Challenge>()
  /** For each repository named in advance, the scopes of its batch. */
  private readonly batches = new Map<string, string[]>()
  private readonly tokens = new Map<string, CachedToken>()
  private readonly source: TokenSource | undefined
  private readonly now: () => number

  constructor(private readonly options: AuthorizerOptions) {
    this.now = options.now ?? Date.now
    const { credentials } = options
    if (credentials.kind === 'token-source') this.source = credentials.source
    else {
      const basic = credentials.kind === 'basic' ? credentials : undefined
      if (basic) options.mask(basicHeader(basic.username, basic.password).slice('Basic '.length))
      this.source = new DockerTokenSource(options.transport, basic, options.mask, this.now)
    }
  }

  /**
   * The repositories the run will touch (with repositoryActions only): a
   * token asked for one of them asks for its batch of `repositoriesPerToken`,
   * so twenty repositories cost two token requests, not twenty.
   */
  expectRepositories(names: string[]): void {
    const actions = this.options.repositoryActions
    if (!actions?.length) return
    for (let start = 0; start < names.length; start += repositoriesPerToken) {
      const batch = names.slice(start, start + repositoriesPerToken)
      const scopes = batch.map(name => `repository:${name}:${actions.join(',')}`)
      for (const name of batch) this.batches.set(name, scopes)
    }
  }

  /** The header to send up front, when this origin has challenged before. */
  async headerFor(origin: string, scopes: string[]): Promise<string | undefined> {
    const challenge = this.challenges.get(origin)
    return challenge ? this.answer(challenge, scopes) : undefined
  }

  /**
   * Answers a 401. `presented` is the header the refused request carried, if
   * any: a refused token is not offered again, and a token refused for lack of
   * scope when it already held every scope asked for means the identity lacks
   * the permission, which no retry will change.
   */
  async respond(
    origin: string,
    wwwAuthenticate: string | undefined,
    scopes: string[],
    presented: string | undefined
  ): Promise<string> {
    const challenge = pickChallenge(parseChallenges(wwwAuthenticate))
    if (!challenge) {
      throw new AuthError(
        'unsupported-challenge',
        `${new URL(origin).host} refused the request without a challenge this action can answer (${wwwAuthenticate ?? 'no WWW-Authenticate header'})`
      )
    }
    // Remembered without its scope and error: those belong to this one request.
    const { scope: _scope, error: _error, ...lasting } = challenge.params
    this.challenges.set(origin, { scheme: challenge.scheme, params: lasting })
    const wanted = this.widen(mergeScopes(scopes, challenge.params.scope))
    if (presented !== undefined && challenge.scheme === 'bearer') {
      const key = this.cacheKey(challenge, wanted)
      if (challenge.params.error === 'insufficient_scope' && this.tokens.has(key)) {
        throw insufficientScope(origin, challenge.params.scope ?? wanted.join(' '))
      }
      this.tokens.delete(key)
    }
    if (presented !== undefined && challenge.scheme === 'basic') {
      throw new AuthError(
        'credentials-rejected',
        `${new URL(origin).host} rejected the username and password: check the username and password inputs`
      )
    }
    return this.answer(challenge, wanted)
  }

  private async answer(challenge: Challenge, scopes: string[]): Promise<string> {
    if (challenge.scheme === 'basic') {
      const { credentials } = this.options
      if (credentials.kind !== 'basic') {
        throw new AuthError(
          'unsupported-challenge',
          'the registry asks for a username and password: set the username and password inputs'
        )
      }
      return basicHeader(credentials.username, credentials.password)
    }
    const grant = await this.token(challenge, this.widen(scopes))
    return `Bearer ${grant.token}`
  }

  private widen(scopes: string[]): string[] {
    const actions = this.options.repositoryActions
    if (!actions?.length) return scopes
    const repositories = scopes
      .filter(scope => scope.startsWith('repository:'))
      .map(scope => scope.slice('repository:'.length, scope.lastIndexOf(':')))
    return mergeScopes(
      scopes,
      repositories.flatMap(
        name => this.batches.get(name) ?? [`repository:${name}:${actions.join(',')}`]
      )
    )
  }

  private token(challenge: Challenge, scopes: string[]): Promise<TokenGrant> {
    const key = this.cacheKey(challenge, scopes)
    const cached = this.tokens.get(key)
    if (cached && this.fresh(cached)) return cached.grant

    const realm = this.realmOf(challenge)
    const service = challenge.params.service ?? realm.host
    const entry: CachedToken = {
      grant: this.source!.fetchToken({ realm, service, scopes }),
      obtainedAt: this.now()
    }
    this.tokens.set(key, entry)
    entry.grant.then(
      value => (entry.value = value),
      () => {
        if (this.tokens.get(key) === entry) this.tokens.delete(key)
      }
    )
    return entry.grant
  }

  // Renew when a quarter of the lifetime (at most a minute) is left, so a
  // request never starts with a token that expires on the way.
  private fresh(entry: CachedToken): boolean {
    const grant = entry.value
    if (grant === undefined) return true
    const margin = Math.min(60_000, (grant.expiresAt - entry.obtainedAt) / 4)
    return grant.expiresAt - this.now() > margin
  }

  private realmOf(challenge: Challenge): URL {
    const realm = challenge.params.realm
    let url: URL
    try {
      url = new URL(realm ?? '')
    } catch {
      throw new AuthError(
        'unsupported-challenge',
        `the registry's token realm "${realm ?? ''}" is not a URL`
      )
    }
    const sendsSecrets = this.options.credentials.kind !== 'anonymous'
    if (sendsSecrets && url.protocol !== 'https:' && !isLoopbackHostname(url.hostname)) {
      throw new AuthError(
        'insecure-realm',
        `the registry's token endpoint ${url.origin} is plain HTTP on a non-loopback host: credentials are not sent in clear`
      )
    }
    return url
  }

  private cacheKey(challenge: Challenge, scopes: string[]): string {
    return `${challenge.params.realm ?? ''} ${challenge.params.service ?? ''} ${scopes.join(' ')}`
  }
}

function insufficientScope(origin: string, scope: string): AuthError {
  return new AuthError(
    'insufficient-scope',
    `the signed-in identity may not do this on ${new URL(origin).host} (needs ${scope}): grant it a role with that permission, for ACR for example AcrPush for push or AcrDelete for delete`
  )
}
