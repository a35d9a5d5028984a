// Who a token speaks for, and what each kind of caller may do by default:
// Entra identities and the admin user everything, anonymous callers (with
// anonymous pull on) only reading, repository-scoped users what they list.

import { decodeJwt, nowSeconds } from '../jwt.js'
import { REPOSITORY_ACTIONS, type Scope } from './scopes.js'

export interface EntraIdentity {
  oid: string
  tid: string
  appid?: string
}

export type Identity =
  ({ kind: 'entra' } & EntraIdentity) | { kind: 'user'; username: string } | { kind: 'anonymous' }

export interface User {
  username: string
  password: string
  /** Repository actions this user may take; all of them (and the catalog) when left out. */
  actions?: string[]
}

/** What `identity` may do on the resource `scope` names (its actions are ignored). */
export type Permissions = (identity: Identity, scope: Scope) => string[]

const ANONYMOUS_ACTIONS = ['pull', 'metadata_read']

export function defaultPermissions(users: User[]): Permissions {
  return (identity, scope) => {
    const user =
      identity.kind === 'user' ? users.find(u => u.username === identity.username) : undefined
    if (scope.type === 'registry') {
      return scope.name === 'catalog' && (!user || user.actions === undefined) ? ['*'] : []
    }
    if (identity.kind === 'anonymous') return ANONYMOUS_ACTIONS
    return user?.actions ?? REPOSITORY_ACTIONS
  }
}

/** Without an Entra emulator: any JWT that has not expired, read without checking its signature. */
export function acceptUnexpiredJwt(
  clock: () => number
): (token: string) => EntraIdentity | undefined {
  return token => {
    const claims = decodeJwt(token)
    if (!claims || typeof claims.exp !== 'number' || claims.exp <= nowSeconds(clock))
      return undefined
    const oid = claims.oid ?? claims.sub
    if (typeof oid !== 'string') return undefined
    return {
      oid,
      tid: typeof claims.tid === 'string' ? claims.tid : '',
      ...(typeof claims.appid === 'string' ? { appid: claims.appid } : {})
    }
  }
}
