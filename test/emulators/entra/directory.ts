// Who exists in the emulated Entra ID: the tenants and applications named by
// the configured federated identity credentials, and each application's
// service principal object id (what access tokens carry as `oid`).

import { createHash } from 'node:crypto'

export interface FederatedCredential {
  tenantId: string
  clientId: string
  issuer: string
  subject: string
  audience: string
}

export interface Application {
  tenantId: string
  clientId: string
  servicePrincipalId: string
  credentials: FederatedCredential[]
}

export class Directory {
  constructor(private readonly credentials: FederatedCredential[]) {}

  /** The tenant id as configured, for a name that matches it in any case (GUIDs are case-blind). */
  tenant(name: string): string | undefined {
    return this.credentials.find(c => sameId(c.tenantId, name))?.tenantId
  }

  application(tenantId: string, clientId: string): Application | undefined {
    const credentials = this.credentials.filter(
      c => sameId(c.tenantId, tenantId) && sameId(c.clientId, clientId)
    )
    const first = credentials[0]
    if (!first) return undefined
    return {
      tenantId: first.tenantId,
      clientId: first.clientId,
      servicePrincipalId: objectId(first.tenantId, first.clientId),
      credentials
    }
  }
}

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

// Stable across runs, distinct from the client id, shaped like a GUID.
function objectId(tenantId: string, clientId: string): string {
  const hex = createHash('sha256').update(`${tenantId}/${clientId}`).digest('hex')
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32)
  ].join('-')
}
