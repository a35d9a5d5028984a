export type AuthFailure =
  | 'credentials-rejected'
  | 'anonymous-refused'
  | 'insufficient-scope'
  | 'unsupported-challenge'
  | 'insecure-realm'
  | 'token-endpoint'
  | 'oidc'

/** Sign-in failed. The message says what the user should change. */
export class AuthError extends Error {
  override readonly name = 'AuthError'

  constructor(
    readonly failure: AuthFailure,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}
