// Entra's app-only access tokens: v1 claims (what resources such as ACR see
// for a client-credentials token), signed with the emulator's own key, and the
// check a resource makes before trusting one.

import { randomBytes, randomUUID } from 'node:crypto'
import {
  generateSigningKey,
  jwks,
  nowSeconds,
  signJwt,
  verifyJwt,
  type SigningKey
} from '../jwt.js'

/** What a resource learns from a valid token. */
export interface EntraIdentity {
  oid: string
  tid: string
  appid: string
  aud: string
}

export class AccessTokenMint {
  private readonly key: SigningKey = generateSigningKey(randomUUID())

  constructor(private readonly clock: () => number) {}

  mint(identity: EntraIdentity, lifetimeSeconds: number): string {
    const now = nowSeconds(this.clock)
    const issuer = `https://sts.windows.net/${identity.tid}/`
    return signJwt(
      {
        aud: identity.aud,
        iss: issuer,
        iat: now,
        nbf: now,
        exp: now + lifetimeSeconds,
        appid: identity.appid,
        appidacr: '2',
        idp: issuer,
        idtyp: 'app',
        oid: identity.oid,
        sub: identity.oid,
        tid: identity.tid,
        // Two tokens minted in the same second must still differ, as Entra's do.
        uti: randomBytes(16).toString('base64url'),
        ver: '1.0'
      },
      this.key
    )
  }

  /** The identity, or undefined when the signature is not ours or the token is outside its lifetime. */
  verify(token: string): EntraIdentity | undefined {
    const claims = verifyJwt(token, this.key.publicKey)
    const now = nowSeconds(this.clock)
    if (!claims || typeof claims.exp !== 'number' || now >= claims.exp) return undefined
    if (typeof claims.nbf === 'number' && now < claims.nbf) return undefined
    return {
      oid: String(claims.oid),
      tid: String(claims.tid),
      appid: String(claims.appid),
      aud: String(claims.aud)
    }
  }

  jwks(): { keys: Array<Record<string, unknown>> } {
    return jwks(this.key)
  }
}
