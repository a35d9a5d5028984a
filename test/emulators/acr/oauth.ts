// ACR's token endpoints (ACR-WIRE-FACTS §2): the Entra-token exchange for a
// refresh token, the refresh-token and anonymous grants, and docker-style GET
// with Basic credentials (the admin user, repository-scoped tokens, or the
// refresh token under the all-zero user name, as `docker login` uses it).

import type http from 'node:http'
import type { EntraIdentity, Identity, Permissions, User } from './identity.js'
import { errors, readSmallBody, sendError, sendJson } from './replies.js'
import { grant, parseScopes } from './scopes.js'
import type { RequestTarget } from '../https-server.js'
import type { Site } from './site.js'
import type { TokenService } from './tokens.js'

export interface OAuthContext {
  site: Site
  tokens: TokenService
  verifyEntraToken: (token: string) => EntraIdentity | undefined
  users: User[]
  anonymousPull: boolean
  permissions: Permissions
}

/** The user name under which docker clients present an ACR refresh token as a password. */
export const REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000'

const FORM_LIMIT = 64 * 1024

const tokenHeaders = { 'x-ms-ratelimit-remaining-calls-per-second': '166.65' }

function refuse(res: http.ServerResponse, status: number, message: string): void {
  sendError(res, status, errors.unauthorized(message), tokenHeaders)
}

export async function handleOAuth(
  ctx: OAuthContext,
  endpoint: 'exchange' | 'token',
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: RequestTarget
): Promise<void> {
  const method = req.method ?? 'GET'
  if (endpoint === 'token' && method === 'GET') return tokenByGet(ctx, req, res, target)
  if (method !== 'POST') {
    return sendError(res, 405, errors.unsupported(`${method} is not supported here`))
  }
  const form = new URLSearchParams((await readSmallBody(req, FORM_LIMIT)).toString('utf8'))
  if (form.get('service') !== ctx.site.service) {
    return refuse(res, 401, `unknown service ${JSON.stringify(form.get('service'))}`)
  }
  return endpoint === 'exchange' ? exchange(ctx, form, res) : tokenByPost(ctx, form, res)
}

function exchange(ctx: OAuthContext, form: URLSearchParams, res: http.ServerResponse): void {
  if (form.get('grant_type') !== 'access_token') {
    return sendError(res, 400, errors.unsupported('grant_type must be access_token'), tokenHeaders)
  }
  const identity = ctx.verifyEntraToken(form.get('access_token') ?? '')
  if (!identity) return refuse(res, 401, 'the Entra access token is not valid for this registry')
  const refreshToken = ctx.tokens.issueRefreshToken({ kind: 'entra', ...identity })
  sendJson(res, 200, { refresh_token: refreshToken }, tokenHeaders)
}

function tokenByPost(ctx: OAuthContext, form: URLSearchParams, res: http.ServerResponse): void {
  const grantType = form.get('grant_type')
  let identity: Identity | undefined
  if (grantType === 'refresh_token') {
    identity = ctx.tokens.verifyRefreshToken(form.get('refresh_token') ?? '')
  } else if (grantType === 'password' && form.get('username')) {
    identity = userIdentity(ctx, form.get('username') ?? '', form.get('password') ?? '')
  } else if (grantType === 'password' && !form.get('refresh_token')) {
    // The SDK's anonymous grant: password grant, empty refresh token, no user.
    if (!ctx.anonymousPull) return refuse(res, 401, 'anonymous access is not enabled')
    identity = { kind: 'anonymous' }
  } else {
    return sendError(res, 400, errors.unsupported(`grant_type ${grantType} is not supported`))
  }
  if (!identity) return refuse(res, 401, 'the credentials are not valid for this registry')
  sendAccessToken(ctx, res, identity, form.getAll('scope'))
}

function tokenByGet(
  ctx: OAuthContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: RequestTarget
): void {
  if (target.query.get('service') !== ctx.site.service) {
    return refuse(res, 401, `unknown service ${JSON.stringify(target.query.get('service'))}`)
  }
  const authorization = req.headers.authorization
  let identity: Identity | undefined
  if (authorization === undefined) {
    identity = ctx.anonymousPull ? { kind: 'anonymous' } : undefined
  } else if (authorization.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) identity = userIdentity(ctx, decoded.slice(0, colon), decoded.slice(colon + 1))
  }
  if (!identity) {
    return refuse(
      res,
      401,
      'authentication required, visit https://aka.ms/acr/authorization for more information.'
    )
  }
  sendAccessToken(ctx, res, identity, target.query.getAll('scope'))
}

function userIdentity(ctx: OAuthContext, username: string, password: string): Identity | undefined {
  if (username === REFRESH_TOKEN_USER) return ctx.tokens.verifyRefreshToken(password)
  const user = ctx.users.find(u => u.username === username && u.password === password)
  return user ? { kind: 'user', username: user.username } : undefined
}

function sendAccessToken(
  ctx: OAuthContext,
  res: http.ServerResponse,
  identity: Identity,
  scopes: string[]
): void {
  const access = grant(parseScopes(scopes), scope => ctx.permissions(identity, scope))
  sendJson(res, 200, { access_token: ctx.tokens.issueAccessToken(identity, access) }, tokenHeaders)
}
