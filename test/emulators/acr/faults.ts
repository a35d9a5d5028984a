// Trouble on demand: scripted answers or dropped connections for matching
// requests, the same at a rate drawn from a seeded generator (so a failing
// run can be replayed), and ACR's write throttling (Basic tier allows about
// 100 write operations a minute, then answers 429 with Retry-After).

import type http from 'node:http'
import { acrHeaders, errors, sendError } from './replies.js'
import type { RequestTarget } from '../https-server.js'

/**
 * An HTTP status to answer with; `'reset'` destroys the connection as the
 * request arrives; `'reset-in-body'` lets the request through and destroys the
 * connection once part of its body has gone on (as a dropped upload would).
 */
export type FaultStatus = number | 'reset' | 'reset-in-body'

interface FaultShape {
  /** One method or several; all by default. */
  method?: string | string[]
  /** A string matches the request path exactly (as sent, percent-encoding included). */
  path?: RegExp | string
  status: FaultStatus
  headers?: Record<string, string>
  body?: string
  /**
   * `'reset-in-body'`: body bytes passed on before the drop; by default half the
   * Content-Length, or the first byte of a chunked body. A request without a
   * body is dropped on arrival.
   */
  afterBytes?: number
}

export interface Fault extends FaultShape {
  /** How many matching requests it hits; 1 by default. */
  times?: number
}

export interface RateFault extends FaultShape {
  /** The share of matching requests it hits, from 0 to 1. */
  rate: number
}

export interface FaultCounts {
  /** Requests that a rate fault applied to, hit or not. */
  drawn: number
  /** Faults injected, scripted and rate alike, by kind: `'429'`, `'503'`, `'reset'`, `'reset-in-body'`. */
  injected: Record<string, number>
}

export interface RateOptions {
  /**
   * At most this many rate faults in a row for one request (method and path,
   * an upload session's id left out); the next one passes. Concurrent
   * requests arrive in no fixed order, so which request draws which number
   * differs between runs: without a bound, a storm meant to be outlasted by
   * retries now and then outlasts them instead. Unbounded by default.
   */
  inARow?: number
}

export interface FaultControls {
  inject(fault: Fault): void
  /**
   * Replaces the rate faults. Each request they apply to draws one number
   * from mulberry32(seed), in order of arrival; the faults share [0, 1) in the
   * order given. Without a `path` a rate fault leaves the token endpoints
   * (/oauth2/) alone; a `path` that matches them hits them too.
   */
  injectRates(seed: number, faults: RateFault[], options?: RateOptions): void
  /** What was injected since the emulator started or was last cleared. */
  counts(): FaultCounts
  /** Removes every injected fault, the rate faults, the throttle and the counts. */
  clear(): void
  /** 429 with Retry-After for each write (POST, PUT, PATCH, DELETE) beyond `perMinute` in a minute; undefined lifts it. */
  throttleWrites(perMinute: number | undefined): void
}

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE']
const MINUTE_MS = 60_000
const TOKEN_ENDPOINTS = /^\/oauth2\//
// A retried upload opens a new session: its requests count as the same request.
const UPLOAD_SESSION = /(\/blobs\/uploads\/)[^/]+$/
// How long a mid-body drop waits for the handler to take in the bytes let through.
const SETTLE_TRIES = 500
const SETTLE_STEP_MS = 2

/** A small, well-known 32-bit generator: the same seed gives the same numbers everywhere. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function matches(fault: FaultShape, method: string, pathname: string): boolean {
  const methods = fault.method === undefined ? undefined : [fault.method].flat()
  if (methods && !methods.includes(method)) return false
  if (fault.path === undefined) return true
  return typeof fault.path === 'string' ? fault.path === pathname : fault.path.test(pathname)
}

export class Faults implements FaultControls {
  private faults: Array<Fault & { left: number }> = []
  private rates: RateFault[] = []
  private random: () => number = mulberry32(0)
  private inARow = Number.POSITIVE_INFINITY
  private readonly streaks = new Map<string, number>()
  private drawn = 0
  private injected: Record<string, number> = {}
  private limit: number | undefined
  private writes: number[] = []

  constructor(private readonly clock: () => number) {}

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 })
  }

  injectRates(seed: number, faults: RateFault[], options: RateOptions = {}): void {
    for (const fault of faults) {
      if (!(fault.rate >= 0 && fault.rate <= 1)) throw new RangeError(`rate ${fault.rate}`)
    }
    const total = faults.reduce((sum, fault) => sum + fault.rate, 0)
    if (total > 1) throw new RangeError(`the rates add up to ${total}, more than 1`)
    const { inARow = Number.POSITIVE_INFINITY } = options
    if (!(inARow >= 1)) throw new RangeError(`inARow ${inARow}: give a number of faults, 1 or more`)
    this.rates = faults.map(fault => ({ ...fault }))
    this.random = mulberry32(seed)
    this.inARow = inARow
    this.streaks.clear()
  }

  counts(): FaultCounts {
    return { drawn: this.drawn, injected: { ...this.injected } }
  }

  clear(): void {
    this.faults = []
    this.rates = []
    this.inARow = Number.POSITIVE_INFINITY
    this.streaks.clear()
    this.drawn = 0
    this.injected = {}
    this.limit = undefined
    this.writes = []
  }

  throttleWrites(perMinute: number | undefined): void {
    this.limit = perMinute
    this.writes = []
  }

  /** Answers (or drops) the request when a fault hits it; true when it took the request over. */
  intercept(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: RequestTarget,
    onDrop: () => void
  ): boolean {
    const fault = this.pick(req.method ?? 'GET', target.pathname)
    if (!fault) return false
    this.injected[String(fault.status)] = (this.injected[String(fault.status)] ?? 0) + 1
    const drop = () => {
      onDrop()
      req.socket.destroy()
    }
    if (fault.status === 'reset-in-body' && hasBody(req)) {
      // Not taken over: the request goes on to the registry until its body is cut.
      cutBody(req, fault.afterBytes, drop)
      return false
    }
    if (fault.status === 'reset' || fault.status === 'reset-in-body') {
      drop()
      return true
    }
    answer(res, fault.status, fault)
    return true
  }

  private pick(method: string, pathname: string): FaultShape | undefined {
    const scripted = this.faults.find(f => f.left > 0 && matches(f, method, pathname))
    if (scripted) {
      scripted.left--
      return scripted
    }
    const applying = this.rates.filter(
      fault =>
        matches(fault, method, pathname) &&
        (fault.path !== undefined || !TOKEN_ENDPOINTS.test(pathname))
    )
    if (applying.length === 0) return undefined
    this.drawn++
    const draw = this.random()
    let floor = 0
    let hit: RateFault | undefined
    for (const fault of applying) {
      floor += fault.rate
      if (draw < floor) {
        hit = fault
        break
      }
    }
    const request = `${method} ${pathname.replace(UPLOAD_SESSION, '$1')}`
    const streak = this.streaks.get(request) ?? 0
    if (hit === undefined || streak >= this.inARow) {
      this.streaks.delete(request)
      return undefined
    }
    this.streaks.set(request, streak + 1)
    return hit
  }

  /** Counts a write against the throttle; answers 429 and returns false once over it. */
  admit(method: string, res: http.ServerResponse): boolean {
    if (this.limit === undefined || !WRITES.includes(method)) return true
    const now = this.clock()
    this.writes = this.writes.filter(time => time > now - MINUTE_MS)
    if (this.writes.length >= this.limit) {
      const oldest = this.writes[0] ?? now
      const retryAfter = Math.max(1, Math.ceil((oldest + MINUTE_MS - now) / 1000))
      sendError(res, 429, errors.tooManyRequests(), { 'retry-after': String(retryAfter) })
      return false
    }
    this.writes.push(now)
    return true
  }
}

function answer(res: http.ServerResponse, status: number, fault: FaultShape): void {
  // Rate faults without a body answer as ACR does, in the distribution error envelope.
  if (fault.body === undefined && 'rate' in fault) {
    const entry =
      status === 429
        ? errors.tooManyRequests()
        : errors.invalid('UNAVAILABLE', `injected fault: ${status}`)
    return sendError(res, status, entry, fault.headers)
  }
  const body = Buffer.from(fault.body ?? '')
  res.writeHead(status, {
    ...acrHeaders(),
    'content-length': String(body.length),
    ...fault.headers
  })
  res.end(body)
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0)
  return length > 0 || req.headers['transfer-encoding'] !== undefined
}

/**
 * Passes the first `afterBytes` of the body on to whoever reads the request,
 * then drops the connection once they have taken them in. Node's HTTP parser
 * hands each body chunk to the request's `push`, which is where the cut goes.
 */
function cutBody(
  req: http.IncomingMessage,
  afterBytes: number | undefined,
  drop: () => void
): void {
  const length = Number(req.headers['content-length'] ?? 0)
  const limit = Math.max(1, afterBytes ?? Math.floor(length / 2))
  const push = req.push.bind(req)
  let passed = 0
  const cut = () => {
    req.push = () => false
    settle(req, drop, SETTLE_TRIES)
  }
  req.push = (chunk: Buffer | null, encoding?: BufferEncoding): boolean => {
    // The body ended before the cut: drop before the handler hears the end.
    if (chunk === null) {
      cut()
      return false
    }
    if (passed + chunk.length < limit) {
      passed += chunk.length
      return push(chunk, encoding)
    }
    push(chunk.subarray(0, limit - passed))
    passed = limit
    cut()
    return false
  }
}

function settle(req: http.IncomingMessage, drop: () => void, tries: number): void {
  if (req.readableLength === 0 || tries <= 0 || req.socket.destroyed) {
    setImmediate(drop)
    return
  }
  setTimeout(() => settle(req, drop, tries - 1), SETTLE_STEP_MS)
}
