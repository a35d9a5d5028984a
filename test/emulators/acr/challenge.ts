// ACR's 401: the Bearer challenge, worded exactly as ACR words it (one scope,
// no spaces after commas, `error=` only when a token was presented), and the
// JSON body with one detail entry per action (ACR-WIRE-FACTS §1).

import type http from 'node:http'
import { errors, sendError } from './replies.js'
import { formatScope, type Scope } from './scopes.js'

export type ChallengeError = 'insufficient_scope' | 'invalid_token'

export function challengeHeader(
  host: string,
  service: string,
  scope: Scope | undefined,
  error?: ChallengeError
): string {
  return [
    `Bearer realm="https://${host}/oauth2/token"`,
    `service="${service}"`,
    ...(scope ? [`scope="${formatScope(scope)}"`] : []),
    ...(error ? [`error="${error}"`] : [])
  ].join(',')
}

export function sendChallenge(
  res: http.ServerResponse,
  context: { host: string; service: string },
  scope: Scope | undefined,
  error?: ChallengeError
): void {
  const detail = scope?.actions.map(action => ({
    Type: scope.type,
    Name: scope.name,
    Action: action
  }))
  sendError(
    res,
    401,
    errors.unauthorized(
      'authentication required, visit https://aka.ms/acr/authorization for more information.',
      detail
    ),
    { 'www-authenticate': challengeHeader(context.host, context.service, scope, error) }
  )
}
