// RS256 JSON Web Tokens for the emulators (runner OIDC, Entra ID, ACR), made
// with node:crypto so that tests depend on no token library.

import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
}

export type Claims = Record<string, unknown>

export function generateSigningKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { kid, privateKey, publicKey }
}

export function signJwt(claims: Claims, key: SigningKey): string {
  const header = { alg: 'RS256', typ: 'JWT', kid: key.kid }
  const body = `${encode(header)}.${encode(claims)}`
  const signature = sign('sha256', Buffer.from(body), key.privateKey).toString('base64url')
  return `${body}.${signature}`
}

/** The claims, or undefined when the token is malformed or not signed by `publicKey`. */
export function verifyJwt(token: string, publicKey: KeyObject): Claims | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [header, payload, signature] = parts as [string, string, string]
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    publicKey,
    Buffer.from(signature, 'base64url')
  )
  return valid ? decodeJwt(token) : undefined
}

/** The claims without checking the signature (what a client may read of a token). */
export function decodeJwt(token: string): Claims | undefined {
  try {
    return JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')
    ) as Claims
  } catch {
    return undefined
  }
}

/** A JWKS document (RFC 7517) publishing the public key, as an OIDC issuer serves it. */
export function jwks(...keys: SigningKey[]): { keys: Array<Record<string, unknown>> } {
  return {
    keys: keys.map(key => ({
      ...key.publicKey.export({ format: 'jwk' }),
      kid: key.kid,
      use: 'sig',
      alg: 'RS256'
    }))
  }
}

export function nowSeconds(clock: () => number = Date.now): number {
  return Math.floor(clock() / 1000)
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}
