// The client-credentials grant with a federated client assertion, judged the
// way Entra judges it: request shape, then the application, the scope, and
// last the assertion itself. Returns who the token will be for, or why not.

import type { EntraIdentity } from './access-tokens.js'
import type { Directory } from './directory.js'
import { refuse, EntraError } from './errors.js'
import { checkAssertion, type TrustedIssuer } from './federation.js'

export const jwtBearer = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export interface TokenRequestContext {
  tenantId: string
  directory: Directory
  trustedIssuers: TrustedIssuer[]
  nowSeconds: number
}

export function judgeTokenRequest(
  form: URLSearchParams,
  context: TokenRequestContext
): EntraIdentity | EntraError {
  const grant = form.get('grant_type')
  if (!grant) return refuse.missingParameter('grant_type')
  if (grant !== 'client_credentials') return refuse.unsupportedGrant(grant)
  const clientId = form.get('client_id')
  if (!clientId) return refuse.missingParameter('client_id')
  const app = context.directory.application(context.tenantId, clientId)
  if (!app) return refuse.unknownClient(clientId, context.tenantId)

  const resource = resourceOf(form.get('scope') ?? '')
  if (resource instanceof EntraError) return resource

  const assertion = form.get('client_assertion')
  if (!assertion || form.get('client_assertion_type') !== jwtBearer) {
    return refuse.missingCredential()
  }
  const claims = checkAssertion(
    assertion,
    app.credentials,
    context.trustedIssuers,
    context.nowSeconds
  )
  if (claims instanceof EntraError) return claims
  return { oid: app.servicePrincipalId, tid: app.tenantId, appid: app.clientId, aud: resource }
}

/**
 * A client-credentials scope names one resource (an App ID URI or a GUID)
 * followed by `/.default`; the token's audience is that resource.
 */
function resourceOf(scope: string): string | EntraError {
  const scopes = scope.trim().split(/\s+/).filter(Boolean)
  const only = scopes.length === 1 ? scopes[0] : undefined
  if (!only) return refuse.invalidScope(scope)
  const resource = only.endsWith('/.default') ? only.slice(0, -'/.default'.length) : undefined
  const named = (value: string): boolean =>
    /^[a-z][a-z0-9+.-]*:\/\/[^/\s]/i.test(value) ||
    /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value)
  if (resource !== undefined) return named(resource) ? resource : refuse.invalidScope(scope)
  return named(only) ? refuse.scopeWithoutDefault(scope) : refuse.invalidScope(scope)
}
