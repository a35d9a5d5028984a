// Small pure helpers shared by every credential kind.

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** A JWT's claims, read without checking the signature: only the issuer can check it. */
export function decodeClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    return typeof claims === 'object' && claims !== null
      ? (claims as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** The `exp` claim of a JWT in epoch milliseconds, or undefined when the token is opaque. */
export function jwtExpiry(token: string): number | undefined {
  const exp = decodeClaims(token)?.exp
  return typeof exp === 'number' ? exp * 1000 : undefined
}

// The token spec says a token without expires_in lives 60 seconds.
const defaultLifetimeSeconds = 60

/**
 * When a token stops working: expires_in from its issue time when the server
 * said so, else the JWT's own exp, else the spec's default.
 */
export function tokenExpiry(
  token: string,
  expiresIn: number | undefined,
  issuedAt: string | undefined,
  now: number
): number {
  if (typeof expiresIn === 'number' && expiresIn > 0) {
    const issued = issuedAt ? Date.parse(issuedAt) : NaN
    return (Number.isNaN(issued) ? now : Math.min(issued, now)) + expiresIn * 1000
  }
  return jwtExpiry(token) ?? now + defaultLifetimeSeconds * 1000
}
