// Docker token scopes as ACR uses them: which scope a request needs (and what
// the challenge asks for), what a token request asks for, and what a token
// holds. ACR challenges a write with `pull,push` and wants both in the token.

import type { ApiRoute } from './routes.js'

export interface Scope {
  /** `repository` or `registry`; a resource class such as `repository(plugin)` is dropped. */
  type: string
  name: string
  actions: string[]
}

/** One entry of an access token's `access` claim. */
export type Access = Scope

export const REPOSITORY_ACTIONS = ['pull', 'push', 'delete', 'metadata_read', 'metadata_write']

const CATALOG: Scope = { type: 'registry', name: 'catalog', actions: ['*'] }

/** The scope a request must hold; undefined where any valid token will do (`/v2/` itself, unknown paths). */
export function requiredScope(method: string, route: ApiRoute): Scope | undefined {
  if (route.kind === 'catalog') return CATALOG
  if (!('repository' in route)) return undefined
  const reading = method === 'GET' || method === 'HEAD'
  const actions =
    route.api === 'v2'
      ? reading
        ? ['pull']
        : method === 'DELETE'
          ? ['delete']
          : ['pull', 'push']
      : reading
        ? ['metadata_read']
        : method === 'DELETE'
          ? ['delete']
          : ['metadata_write']
  return { type: 'repository', name: route.repository, actions }
}

export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`
}

/** Scopes from `scope` values, each of which may hold several separated by spaces (acr-cli). */
export function parseScopes(values: string[]): Scope[] {
  return values
    .flatMap(value => value.split(' '))
    .filter(Boolean)
    .flatMap(text => {
      const first = text.indexOf(':')
      const last = text.lastIndexOf(':')
      if (first < 0 || last <= first) return []
      const type = text.slice(0, first).replace(/\(.*\)$/, '')
      const actions = text
        .slice(last + 1)
        .split(',')
        .filter(Boolean)
      return [{ type, name: text.slice(first + 1, last), actions }]
    })
}

/** The part of `asked` an identity holding `allowed(scope)` gets: ACR drops the rest silently. */
export function grant(asked: Scope[], allowed: (scope: Scope) => string[]): Access[] {
  return asked.map(scope => {
    const held = allowed(scope)
    const all = scope.type === 'repository' && REPOSITORY_ACTIONS.every(a => held.includes(a))
    return {
      ...scope,
      actions: scope.actions.filter(action => held.includes(action) || (action === '*' && all))
    }
  })
}

/** Whether a token's `access` claim covers every action of `needed`. */
export function holds(access: Access[], needed: Scope): boolean {
  return needed.actions.every(action =>
    access.some(
      entry =>
        entry.type === needed.type &&
        (entry.name === needed.name || entry.name === '*') &&
        (entry.actions.includes(action) || entry.actions.includes('*'))
    )
  )
}
