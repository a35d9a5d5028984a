// The one HTTP stack of the action. Every request to a registry, a token
// endpoint or a blob store goes through `Transport.send`, which owns
// keep-alive, proxies, retries and redirects; nothing else loops or redirects.

import { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { Agent, ProxyAgent, type Dispatcher } from 'undici'
import { TransportError } from './errors.js'
import { proxyEnvironment, proxyFor, type ProxyEnvironment } from './proxy.js'
import {
  defaultRetryPolicy,
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
        signal: request.signal
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

  private async sendWithRetries(hop: Hop): Promise<HttpResponse> {
    const { url, method, signal } = hop
    for (let attempt = 1; ; attempt++) {
      const lastAttempt = attempt >= this.policy.attempts
      let response: HttpResponse
      try {
        response = await this.sendOnce(hop)
      } catch (error) {
        if (lastAttempt || signal?.aborted || !isRetryableError(error)) {
          throw error instanceof TransportError ? error : TransportError.from(error, url)
        }
        const wait = retryDelay(this.policy, attempt - 1, undefined, this.random) ?? 0
        this.options.onRetry?.({
          url,
          method,
          retry: attempt,
          delayMs: wait,
          code: TransportError.from(error, url).code
        })
        await this.sleep(wait, signal)
        continue
      }
      if (lastAttempt || !isRetryableStatus(response.status)) return response
      const retryAfter = parseRetryAfter(response.header('retry-after'), this.now())
      const wait = retryDelay(this.policy, attempt - 1, retryAfter, this.random)
      // The server asked for a longer pause than we are willing to hold a job for: its answer stands.
      if (wait === undefined) return response
      await response.discard()
      this.options.onRetry?.({
        url,
        method,
        retry: attempt,
        delayMs: wait,
        status: response.status
      })
      await this.sleep(wait, signal)
    }
  }

  private async sendOnce({ url, method, headers, body, signal }: Hop): Promise<HttpResponse> {
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

function dropHeader(headers: Record<string, string>, name: string): void {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) delete headers[key]
  }
}
