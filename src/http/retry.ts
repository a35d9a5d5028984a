// When and how long to wait before sending a request again. Pure: the
// transport owns the loop, this owns the policy, so both can be tested alone.

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** A server asking for a longer pause than this is not waited for. */
  maxRetryAfterMs: number
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000
}

const retryableStatuses = new Set([408, 429, 500, 502, 503, 504])

export function isRetryableStatus(status: number): boolean {
  return retryableStatuses.has(status)
}

// Errors that mean the connection broke, not that the server said no. TLS and
// DNS failures are absent on purpose: sending again would fail the same way.
const retryableCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED'
])

// Duck-typed on purpose: errors from Node's internals may come from another
// realm (a test VM, a bundle), where `instanceof Error` is false.
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown }
    if (typeof code === 'string') return code
    current = cause
  }
  return undefined
}

export function isRetryableError(error: unknown): boolean {
  const code = errorCode(error)
  return code !== undefined && retryableCodes.has(code)
}

/**
 * Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Returns milliseconds to wait, or undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * Exponential backoff with jitter: the n-th retry (0-based) waits between half
 * and all of base·2ⁿ, capped, so that parallel clients that failed together do
 * not come back together.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/** The wait before the next try: the server's Retry-After when it gave one, else backoff. */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number
): number | undefined {
  if (retryAfterMs !== undefined) {
    return retryAfterMs > policy.maxRetryAfterMs ? undefined : retryAfterMs
  }
  return backoffDelay(policy, retry, random)
}
