// A registry answered, and the answer was no. The OCI error body
// ({"errors":[{"code","message","detail"}]}) becomes the message; the code
// stays available for callers that decide on it (404 → "already gone").

import { parseRetryAfter } from '../http/retry.js'
import type { HttpResponse } from '../http/transport.js'

export interface OciErrorEntry {
  code?: string
  message?: string
  detail?: unknown
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError'

  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly errors: OciErrorEntry[] = [],
    /** The server's Retry-After, in milliseconds, when it sent one. */
    readonly retryAfterMs?: number
  ) {
    super(message)
  }

  get notFound(): boolean {
    return this.status === 404
  }

  /** ACR's answer to a write or delete of a locked tag, manifest or repository. */
  get disallowed(): boolean {
    return this.code === 'REGISTRY_DISALLOWED_OPERATION' || this.status === 405
  }

  get throttled(): boolean {
    return this.status === 429
  }
}

/** Reads the error body (at most 64 KiB of it) and builds the error, `what` saying what was attempted. */
export async function registryError(response: HttpResponse, what: string): Promise<RegistryError> {
  const text = await readLimited(response, 64 * 1024)
  let errors: OciErrorEntry[] = []
  try {
    const parsed = JSON.parse(text) as { errors?: OciErrorEntry[] }
    if (Array.isArray(parsed.errors)) errors = parsed.errors
  } catch {
    // Not JSON: a proxy's HTML page, say. The status speaks for it.
  }
  const first = errors[0]
  const reason = first
    ? errors.map(e => [e.code, e.message].filter(Boolean).join(': ')).join('; ')
    : text.trim().slice(0, 200) || statusText(response.status)
  return new RegistryError(
    response.status,
    first?.code,
    `${what}: ${response.status} ${reason}${hint(response.status, first?.code)}`,
    errors,
    parseRetryAfter(response.header('retry-after'), Date.now())
  )
}

function statusText(status: number): string {
  const names: Record<number, string> = {
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout'
  }
  return names[status] ?? `HTTP ${status}`
}

function hint(status: number, code: string | undefined): string {
  if (code === 'REGISTRY_DISALLOWED_OPERATION' || status === 405) {
    return ' (the tag, manifest or repository is locked: unlock it first, or it is an operation this registry does not allow)'
  }
  if (status === 429)
    return ' (the registry is throttling requests: lower concurrency or try later)'
  return ''
}

async function readLimited(response: HttpResponse, limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer
    chunks.push(buffer)
    size += buffer.length
    if (size >= limit) {
      response.body.destroy()
      break
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
}
