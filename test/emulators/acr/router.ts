// The login server's front door, in ACR's order: injected faults first (as a
// broken proxy would fail), then the token endpoints, then the bearer check
// of every /v2/ and /acr/v1/ request against the scope it needs, then the
// write throttle, and only then the API itself.

import type http from 'node:http'
import { sendChallenge } from './challenge.js'
import type { Faults } from './faults.js'
import { handleMetadata, type MetadataContext } from './metadata.js'
import { handleOAuth, type OAuthContext } from './oauth.js'
import { errors, sendError } from './replies.js'
import { parseRoute } from './routes.js'
import { holds, requiredScope } from './scopes.js'
import type { Handler, RequestTarget } from '../https-server.js'
import type { Site } from './site.js'
import type { TokenService } from './tokens.js'
import { handleV2, type V2Context } from './v2.js'

export interface RouterContext {
  site: Site
  tokens: TokenService
  faults: Faults
  oauth: OAuthContext
  v2: V2Context
  metadata: MetadataContext
  logDropped: (req: http.IncomingMessage, target: RequestTarget) => void
}

function bearerToken(req: http.IncomingMessage): string | undefined {
  const header = req.headers.authorization
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined
}

export function router(ctx: RouterContext): Handler {
  return async (req, res, target) => {
    if (ctx.faults.intercept(req, res, target, () => ctx.logDropped(req, target))) return
    const method = req.method ?? 'GET'
    const route = parseRoute(target.pathname)
    if (route.api === 'oauth') return handleOAuth(ctx.oauth, route.endpoint, req, res, target)
    if (route.api === 'none') return sendError(res, 404, errors.notFound())

    const scope = requiredScope(method, route)
    const token = bearerToken(req)
    const access = token === undefined ? undefined : ctx.tokens.verifyAccessToken(token)
    if (!access) {
      return sendChallenge(res, ctx.site, scope, token === undefined ? undefined : 'invalid_token')
    }
    if (scope && !holds(access, scope)) {
      return sendChallenge(res, ctx.site, scope, 'insufficient_scope')
    }
    if (!ctx.faults.admit(method, res)) return
    if (method !== 'GET' && method !== 'HEAD' && 'repository' in route) {
      res.once('close', ctx.v2.discovery.writing(route.repository))
    }
    if (route.api === 'v2') return handleV2(ctx.v2, route, req, res, target)
    return handleMetadata(ctx.metadata, route, req, res, target)
  }
}
