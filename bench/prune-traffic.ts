// What one client asked of the ACR emulator, counted from its request log:
// every request (sign-in included), the writes ACR counts against its
// throttle (POST, PUT, PATCH, DELETE to /v2/ and /acr/v1/ past the token
// check: token endpoints and 401 challenges excluded) that it let through,
// and the 429s it answered.

import type { LoggedRequest } from '../test/emulators/acr/index.js'

export interface Traffic {
  requests: number
  /** Writes that passed the token check and the throttle. */
  writes: number
  /** Requests answered 429. */
  throttled: number
  /** Requests per method and status, for the report when a client misbehaves. */
  byKind: Record<string, number>
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function countTraffic(log: LoggedRequest[]): Traffic {
  const traffic: Traffic = { requests: log.length, writes: 0, throttled: 0, byKind: {} }
  for (const entry of log) {
    const kind = `${entry.method} ${family(entry.path)} ${entry.status}`
    traffic.byKind[kind] = (traffic.byKind[kind] ?? 0) + 1
    if (entry.status === 429) traffic.throttled++
    else if (isWrite(entry)) traffic.writes++
  }
  return traffic
}

// The emulator checks the token before the throttle, as ACR does: a 401 challenge is no write.
const isWrite = (entry: LoggedRequest): boolean =>
  WRITES.has(entry.method) && !entry.path.startsWith('/oauth2/') && entry.status !== 401

/** The shape of a path without the names in it: `/v2/…/manifests/…`, `/acr/v1/…/_tags/…`. */
function family(path: string): string {
  if (path.startsWith('/oauth2/') || path === '/v2/' || path === '/acr/v1/_catalog') return path
  const v2 = /^\/v2\/.+\/(manifests|blobs|tags|referrers)\//.exec(path)
  if (v2) return `/v2/…/${v2[1]}/…`
  const acr = /^\/acr\/v1\/.+?\/(_tags|_manifests)(\/.*)?$/.exec(path)
  if (acr) return `/acr/v1/…/${acr[1]}${acr[2] ? '/…' : ''}`
  return path.startsWith('/acr/v1/') ? '/acr/v1/…' : path
}
