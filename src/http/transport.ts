// The one HTTP stack of the action. Every request to a registry, a token
// endpoint or a blob store goes through `Transport.send`, which owns
// keep-alive, proxies, retries and redirects; nothing else loops or redirects.

import { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { Agent, ProxyAgent, type Dispatcher } from 'undici'
import { AdaptiveLimit } from './adaptive-limit.js'
import { TransportError } from './errors.js'
import { proxyEnvironment, proxyFor, type ProxyEnvironment } from './proxy.js'
import {
  defaultRetryPolicy,
  errorCode,
  isRetryableError,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
  type RetryPolicy
} from './retry.js'

/** A body the transport can send again: bytes, or a function that opens a fresh stream. */
export type RequestBody = string | Uint8Array | (() => Readable)

export interface HttpRequest {
  method: string
  url: URL | string
  headers?: Record<string, string>
  body?: RequestBody
  /** How many redirects to follow by hand; 0 hands a 3xx back to the caller. */
  maxRedirects?: number
  signal?: AbortSignal
  /**
   * false: one attempt, the answer handed back as it is. 'throttled': again
   * only after a 429, which says the server did nothing with the request.
   * Both are for a request whose body cannot simply be sent again after a
   * failure (data into an upload session, which may keep part of it); the
   * caller repeats the whole exchange through `retrying` instead.
   */
  retry?: boolean | 'throttled'
}

export interface RetryEvent {
  url: URL
  method: string
  /** 1 for the first retry. */
  retry: number
  delayMs: number
  status?: number
  code?: string
}

export interface TransportOptions {
  userAgent?: string
  /** Trusted CAs (PEM) instead of the system's; tests use it for their own CA. */
  ca?: string | string[]
  connectionsPerOrigin?: number
  retry?: Partial<RetryPolicy>
  proxy?: ProxyEnvironment
  onRetry?: (event: RetryEvent) => void
  /** The number of requests an origin gets at once changed (after a 429, or back up). */
  onLimit?: (origin: string, limit: number) => void
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  random?: () => number
  now?: () => number
}

/** One request on its way: after a redirect, the next hop may differ in all but the signal. */
interface Hop {
  url: URL
  method: string
  headers: Record<string, string>
  body: RequestBody | undefined
  signal: AbortSignal | undefined
  attempts: number
  /** Only a 429 is worth another attempt (see HttpRequest.retry). */
  throttledOnly: boolean
}

/** Why an attempt may be made again, or undefined when its outcome stands. */
interface Verdict {
  status?: number
  code?: string
  retryAfterMs?: number
}

const redirectStatuses = new Set([301, 302, 303, 307, 308])
const defaultMaxRedirects = 5

export class HttpResponse {
  constructor(
    readonly status: number,
    readonly url: URL,
    private readonly rawHeaders: Dispatcher.ResponseData['headers'],
    readonly body: Dispatcher.ResponseData['body']
  ) {}

  header(name: string): string | undefined {
    const value = this.rawHeaders[name.toLowerCase()]
    return Array.isArray(value) ? value.join(', ') : value
  }

  /** Every header, names in lower case, repeated ones joined. */
  headersObject(): Record<string, string> {
    const all: Record<string, string> = {}
    for (const name of Object.keys(this.rawHeaders)) {
      const value = this.header(name)
      if (value !== undefined) all[name] = value
    }
    return all
  }

  headerValues(name: string): string[] {
    const value = this.rawHeaders[name.toLowerCase()]
    if (value === undefined) return []
    return Array.isArray(value) ? value : [value]
  }

  text(): Promise<string> {
    return this.body.text()
  }

  async json<T = unknown>(): Promise<T> {
    return (await this.body.json()) as T
  }

  /** Reads and drops the body so the connection can serve the next request. */
  async discard(): Promise<void> {
    await this.body.dump({ limit: 1024 * 1024 }).catch(() => undefined)
  }
}

export class Transport {
  private readonly direct: Agent
  private readonly proxies = new Map<string, ProxyAgent>()
  private readonly limits = new Map<string, AdaptiveLimit>()
  private readonly policy: RetryPolicy
  private readonly proxyEnv: ProxyEnvironment
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  private readonly random: () => number
  private readonly now: () => number

  constructor(private readonly options: TransportOptions = {}) {
    this.direct = new Agent({
      connect: options.ca ? { ca: options.ca } : {},
      connections: options.connectionsPerOrigin ?? 16,
      keepAliveTimeout: 30_000
    })
    this.policy = { ...defaultRetryPolicy, ...options.retry }
    this.proxyEnv = options.proxy ?? proxyEnvironment()
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }))
    this.random = options.random ?? Math.random
    this.now = options.now ?? Date.now
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    let url = new URL(request.url)
    let method = request.method.toUpperCase()
    let body = request.body
    const headers = { ...request.headers }
    const maxRedirects = request.maxRedirects ?? defaultMaxRedirects

    for (let hop = 0; ; hop++) {
      const response = await this.sendWithRetries({
        url,
        method,
        headers,
        body,
        signal: request.signal,
        attempts: request.retry === false ? 1 : this.policy.attempts,
        throttledOnly: request.retry === 'throttled'
      })
      const location = response.header('location')
      if (!redirectStatuses.has(response.status) || location === undefined) return response
      if (hop >= maxRedirects) {
        if (maxRedirects === 0) return response
        await response.discard()
        throw new TransportError(
          'network',
          url.host,
          undefined,
          `${method} ${url.pathname}: more than ${maxRedirects} redirects`
        )
      }
      await response.discard()
      const next = new URL(location, url)
      // A bearer token for the registry must never reach the blob store it redirects to.
      if (next.origin !== url.origin) dropHeader(headers, 'authorization')
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        method = 'GET'
        body = undefined
        dropHeader(headers, 'content-length')
        dropHeader(headers, 'content-type')
      }
      url = next
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.direct.close(), ...[...this.proxies.values()].map(p => p.close())])
  }

  /**
   * Runs a whole exchange again on the failures `send` retries by itself: a
   * broken connection, or a thrown error carrying a retryable `status` (and
   * `retryAfterMs`), as a RegistryError does. For exchanges that cannot be
   * replayed request by request, such as an upload session fed from a file.
   * The same policy, pauses and retry events as `send`: one loop serves both.
   */
  retrying<T>(what: { method: string; url: URL }, task: () => Promise<T>): Promise<T> {
    return this.loop({ ...what, signal: undefined }, this.policy.attempts, task, {
      verdict: () => undefined,
      release: async () => undefined,
      retryErrors: true,
      wrap: error => error
    })
  }

  private sendWithRetries(hop: Hop): Promise<HttpResponse> {
    return this.loop(hop, hop.attempts, () => this.sendOnce(hop), {
      verdict: response =>
        (hop.throttledOnly ? response.status === 429 : isRetryableStatus(response.status))
          ? {
              status: response.status,
              retryAfterMs: parseRetryAfter(response.header('retry-after'), this.now())
            }
          : undefined,
      release: response => response.discard(),
      // A broken connection may have delivered part of the body: not for a throttled-only request.
      retryErrors: !hop.throttledOnly,
      wrap: error => (error instanceof TransportError ? error : TransportError.from(error, hop.url))
    })
  }

  private async loop<T>(
    target: { url: URL; method: string; signal: AbortSignal | undefined },
    attempts: number,
    attempt: () => Promise<T>,
    handling: {
      verdict: (value: T) => Verdict | undefined
      release: (value: T) => Promise<void>
      retryErrors: boolean
      wrap: (error: unknown) => unknown
    }
  ): Promise<T> {
    const { url, method, signal } = target
    for (let n = 1; ; n++) {
      const last = n >= attempts
      let verdict: Verdict | undefined
      try {
        const value = await attempt()
        verdict = last ? undefined : handling.verdict(value)
        const wait = verdict && retryDelay(this.policy, n - 1, verdict.retryAfterMs, this.random)
        // A pause longer than we hold a job for leaves the server's answer standing.
        if (verdict === undefined || wait === undefined) return value
        await handling.release(value)
        await this.pause({ url, method, retry: n, delayMs: wait, ...verdict }, signal)
      } catch (error) {
        if (verdict !== undefined) throw error
        verdict = handling.retryErrors ? failureVerdict(error) : undefined
        const wait = verdict && retryDelay(this.policy, n - 1, verdict.retryAfterMs, this.random)
        if (last || signal?.aborted || verdict === undefined || wait === undefined) {
          throw handling.wrap(error)
        }
        await this.pause({ url, method, retry: n, delayMs: wait, ...verdict }, signal)
      }
    }
  }

  private async pause(event: RetryEvent, signal: AbortSignal | undefined): Promise<void> {
    this.options.onRetry?.(event)
    await this.sleep(event.delayMs, signal)
  }

  private async sendOnce(hop: Hop): Promise<HttpResponse> {
    // Streamed uploads are bounded by the caller's own pool; holding a slot for
    // a whole stream would starve the small requests (a HEAD that could cancel
    // it). A body of bytes (a manifest, a small blob) takes a slot like any request.
    if (typeof hop.body === 'function') return this.dispatch(hop)
    const limit = this.limitFor(hop.url.origin)
    await limit.acquire()
    let answer: 'ok' | 'throttled' | 'failed' = 'failed'
    try {
      const response = await this.dispatch(hop)
      answer = response.status === 429 ? 'throttled' : 'ok'
      return response
    } finally {
      limit.release(answer)
    }
  }

  private limitFor(origin: string): AdaptiveLimit {
    let limit = this.limits.get(origin)
    if (limit === undefined) {
      limit = new AdaptiveLimit(this.options.connectionsPerOrigin ?? 16, value =>
        this.options.onLimit?.(origin, value)
      )
      this.limits.set(origin, limit)
    }
    return limit
  }

  private async dispatch({ url, method, headers, body, signal }: Hop): Promise<HttpResponse> {
    const payload = typeof body === 'function' ? body() : body
    try {
      const data = await this.dispatcherFor(url).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers: { 'user-agent': this.options.userAgent ?? 'acr-action', ...headers },
        body: payload,
        signal
      })
      return new HttpResponse(data.statusCode, url, data.headers, data.body)
    } catch (error) {
      if (payload instanceof Readable) payload.destroy()
      throw error
    }
  }

  private dispatcherFor(url: URL): Dispatcher {
    const proxy = proxyFor(url, this.proxyEnv)
    if (proxy === undefined) return this.direct
    let agent = this.proxies.get(proxy)
    if (agent === undefined) {
      agent = new ProxyAgent({
        uri: proxy,
        requestTls: this.options.ca ? { ca: this.options.ca } : {},
        connections: this.options.connectionsPerOrigin ?? 16
      })
      this.proxies.set(proxy, agent)
    }
    return agent
  }
}

// A connection that broke is worth another try; so is an error that carries a
// retryable status (a RegistryError thrown from inside a `retrying` task).
function failureVerdict(error: unknown): Verdict | undefined {
  if (isRetryableError(error)) return { code: errorCode(error) }
  const { status, retryAfterMs } = (error ?? {}) as { status?: unknown; retryAfterMs?: unknown }
  if (typeof status !== 'number' || !isRetryableStatus(status)) return undefined
  return { status, retryAfterMs: typeof retryAfterMs === 'number' ? retryAfterMs : undefined }
}

function dropHeader(headers: Record<string, string>, name: string): void {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) delete headers[key]
  }
}
