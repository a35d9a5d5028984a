// ACR's refresh and access tokens: RS256 JWTs with the claims ACR puts in
// them (ACR-WIRE-FACTS §2), signed with the emulator's own key and checked on
// every request for signature, kind, audience and time. Every token handed out
// is remembered so that tests can prove none of them reaches a log.

import { randomBytes, randomUUID } from 'node:crypto'
import { generateSigningKey, nowSeconds, signJwt, verifyJwt, type Claims } from '../jwt.js'
import type { Identity } from './identity.js'
import type { Site } from './site.js'
import type { Access } from './scopes.js'

export interface TokenOptions {
  site: Site
  registryId: string
  clock: () => number
  refreshLifetimeSeconds: number
  accessLifetimeSeconds: number
}

const ISSUER = 'Azure Container Registry'

// ACR's key ids look like a docker libtrust fingerprint: 12 groups of 4.
function libtrustKid(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  const chars = [...randomBytes(48)].map(byte => alphabet[byte % 32])
  return Array.from({ length: 12 }, (_, i) => chars.slice(i * 4, i * 4 + 4).join('')).join(':')
}

function subjectOf(identity: Identity): string {
  return identity.kind === 'entra'
    ? identity.oid
    : identity.kind === 'user'
      ? identity.username
      : ''
}

export class TokenService {
  private readonly key = generateSigningKey(libtrustKid())
  private readonly issued: string[] = []
  // ACR resolves a refresh token to its identity server-side; so does the emulator.
  private readonly refreshIdentities = new Map<string, Identity>()

  constructor(private readonly options: TokenOptions) {}

  issueRefreshToken(identity: Identity): string {
    const jti = randomUUID()
    this.refreshIdentities.set(jti, identity)
    return this.sign(
      {
        jti,
        sub: subjectOf(identity),
        version: '1.0',
        rid: this.options.registryId,
        grant_type: 'refresh_token',
        ...(identity.kind === 'entra' && identity.appid ? { appid: identity.appid } : {}),
        permissions: { actions: ['read', 'write', 'delete'], notActions: null },
        roles: []
      },
      this.options.refreshLifetimeSeconds
    )
  }

  issueAccessToken(identity: Identity, access: Access[]): string {
    return this.sign(
      {
        jti: randomUUID(),
        sub: subjectOf(identity),
        version: '2.0',
        rid: this.options.registryId,
        grant_type: 'access_token',
        access,
        roles: []
      },
      this.options.accessLifetimeSeconds
    )
  }

  /** The identity behind a valid refresh token of this registry. */
  verifyRefreshToken(token: string): Identity | undefined {
    const claims = this.verify(token, 'refresh_token', '1.0')
    return typeof claims?.jti === 'string' ? this.refreshIdentities.get(claims.jti) : undefined
  }

  /** The `access` claim of a valid access token of this registry. */
  verifyAccessToken(token: string): Access[] | undefined {
    const claims = this.verify(token, 'access_token', '2.0')
    return claims && Array.isArray(claims.access) ? (claims.access as Access[]) : undefined
  }

  issuedTokens(): string[] {
    return [...this.issued]
  }

  private sign(claims: Claims, lifetime: number): string {
    const now = nowSeconds(this.options.clock)
    const token = signJwt(
      {
        ...claims,
        nbf: now,
        exp: now + lifetime,
        iat: now,
        iss: ISSUER,
        aud: this.options.site.service
      },
      this.key
    )
    this.issued.push(token)
    return token
  }

  private verify(token: string, grantType: string, version: string): Claims | undefined {
    const claims = verifyJwt(token, this.key.publicKey)
    const now = nowSeconds(this.options.clock)
    const valid =
      claims !== undefined &&
      claims.grant_type === grantType &&
      claims.version === version &&
      claims.iss === ISSUER &&
      claims.aud === this.options.site.service &&
      typeof claims.exp === 'number' &&
      claims.exp > now &&
      typeof claims.nbf === 'number' &&
      claims.nbf <= now
    return valid ? claims : undefined
  }
}
