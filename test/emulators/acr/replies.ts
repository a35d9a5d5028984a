// The shapes every ACR answer shares: its standard headers, JSON bodies, and
// the `{"errors":[...]}` envelope of the distribution spec that ACR uses for
// every failure, including the 405 its locks answer with.

import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import { sendJson as sendJsonReply } from '../https-server.js'

/** Headers that ACR puts on every response (ACR-WIRE-FACTS §1). */
export function acrHeaders(): Record<string, string> {
  return {
    'docker-distribution-api-version': 'registry/2.0',
    'access-control-expose-headers':
      'Docker-Content-Digest, WWW-Authenticate, Link, X-Ms-Correlation-Request-Id',
    'x-ms-correlation-request-id': randomUUID(),
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    server: 'openresty'
  }
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {}
): void {
  sendJsonReply(res, status, value, { ...acrHeaders(), ...headers })
}

/** A body-less answer, e.g. ACR's 202 to a tag delete. */
export function sendEmpty(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string> = {}
): void {
  res.writeHead(status, { ...acrHeaders(), 'content-length': '0', ...headers })
  res.end()
}

export interface ErrorEntry {
  code: string
  message: string
  detail?: unknown
}

export function sendError(
  res: http.ServerResponse,
  status: number,
  entry: ErrorEntry,
  headers: Record<string, string> = {}
): void {
  sendJson(res, status, { errors: [entry] }, headers)
}

/** The error entries ACR answers with, word for word where the recordings show them. */
export const errors = {
  nameUnknown: (repository: string): ErrorEntry => ({
    code: 'NAME_UNKNOWN',
    message: 'repository name not known to registry',
    detail: { name: repository }
  }),
  tagUnknown: (): ErrorEntry => ({
    code: 'TAG_UNKNOWN',
    message: 'the specified tag does not exist'
  }),
  manifestUnknown: (): ErrorEntry => ({ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }),
  blobUnknown: (digest: string): ErrorEntry => ({
    code: 'BLOB_UNKNOWN',
    message: 'blob unknown to registry',
    detail: digest
  }),
  disallowed: (): ErrorEntry => ({
    code: 'REGISTRY_DISALLOWED_OPERATION',
    detail: {},
    message:
      'The operation is disallowed on this registry, repository or image. View troubleshooting steps at https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-fail-with-disallowed-operation'
  }),
  unauthorized: (message: string, detail?: unknown): ErrorEntry => ({
    code: 'UNAUTHORIZED',
    message,
    ...(detail === undefined ? {} : { detail })
  }),
  unsupported: (message: string): ErrorEntry => ({ code: 'UNSUPPORTED', message }),
  invalid: (code: string, message: string): ErrorEntry => ({ code, message }),
  tooManyRequests: (): ErrorEntry => ({
    code: 'TOOMANYREQUESTS',
    message: 'too many requests, see https://aka.ms/acr/tier-features for the limits of this tier'
  }),
  notFound: (): ErrorEntry => ({
    code: 'NOT_FOUND',
    message: 'the requested resource was not found'
  })
}

/** ACR's answer to anything a lock forbids (ACR-WIRE-FACTS §4). */
export function sendDisallowed(res: http.ServerResponse): void {
  sendError(res, 405, errors.disallowed())
}

/** Reads a request body that is small by nature (forms, JSON, manifests). */
export async function readSmallBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of req) {
    length += (chunk as Buffer).length
    if (length > limit) throw new BodyTooLarge(limit)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`)
  }
}
