// Small pure helpers shared by every credential kind.

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** The `exp` claim of a JWT in epoch milliseconds, or undefined when the token is opaque. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp?: unknown
    }
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined
  } catch {
    return undefined
  }
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
