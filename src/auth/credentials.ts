// What the action signs in with. The registry client never looks inside: it
// hands challenges to the Authorizer, which turns these into headers.

export interface TokenRequest {
  realm: URL
  service: string
  scopes: string[]
}

export interface TokenGrant {
  token: string
  /** Epoch milliseconds. */
  expiresAt: number
}

/** Anything that can trade a token request for a bearer token (ACR's refresh-token grant, say). */
export interface TokenSource {
  fetchToken(request: TokenRequest): Promise<TokenGrant>
}

export type Credentials =
  | { kind: 'anonymous' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'token-source'; source: TokenSource }
