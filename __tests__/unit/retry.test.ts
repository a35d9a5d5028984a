import { describe, expect, it } from '@jest/globals'
import {
  backoffDelay,
  defaultRetryPolicy,
  isRetryableError,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay
} from '../../src/http/retry.js'

describe('retry policy', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries status %i', status => {
    expect(isRetryableStatus(status)).toBe(true)
  })

  it.each([200, 201, 400, 401, 403, 404, 405, 409, 501])('does not retry status %i', status => {
    expect(isRetryableStatus(status)).toBe(false)
  })

  it('retries connection resets, also when wrapped as a cause', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    expect(isRetryableError(reset)).toBe(true)
    expect(isRetryableError(new Error('fetch failed', { cause: reset }))).toBe(true)
  })

  it('does not retry TLS or DNS failures', () => {
    expect(
      isRetryableError(Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))
    ).toBe(false)
    expect(isRetryableError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe(false)
    expect(isRetryableError(new Error('no code'))).toBe(false)
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-22T10:00:00Z')
    expect(parseRetryAfter('7', now)).toBe(7000)
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })

  it('backs off exponentially within half and all of the ceiling', () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 }
    expect(backoffDelay(policy, 0, () => 0)).toBe(50)
    expect(backoffDelay(policy, 0, () => 1)).toBe(100)
    expect(backoffDelay(policy, 3, () => 1)).toBe(800)
    expect(backoffDelay(policy, 10, () => 0)).toBe(500)
    expect(backoffDelay(policy, 10, () => 1)).toBe(1000)
  })

  it("prefers the server's Retry-After and gives up on one that is too long", () => {
    const policy = { ...defaultRetryPolicy, maxRetryAfterMs: 10_000 }
    expect(retryDelay(policy, 0, 3000, () => 0)).toBe(3000)
    expect(retryDelay(policy, 0, 60_000, () => 0)).toBeUndefined()
    expect(retryDelay(policy, 0, undefined, () => 0)).toBe(policy.baseDelayMs / 2)
  })
})
