// Trouble on demand: scripted answers or dropped connections for matching
// requests, and ACR's write throttling (Basic tier allows about 100 write
// operations a minute, then answers 429 with Retry-After).

import type http from 'node:http'
import { acrHeaders, errors, sendError } from './replies.js'
import type { RequestTarget } from '../https-server.js'

export interface Fault {
  method?: string
  /** A string matches the request path exactly (as sent, percent-encoding included). */
  path?: RegExp | string
  /** An HTTP status to answer with, or `'reset'` to destroy the connection unanswered. */
  status: number | 'reset'
  headers?: Record<string, string>
  body?: string
  /** How many matching requests it hits; 1 by default. */
  times?: number
}

export interface FaultControls {
  inject(fault: Fault): void
  /** Removes every injected fault and the throttle. */
  clear(): void
  /** 429 with Retry-After for each write (POST, PUT, PATCH, DELETE) beyond `perMinute` in a minute; undefined lifts it. */
  throttleWrites(perMinute: number | undefined): void
}

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE']
const MINUTE_MS = 60_000

export class Faults implements FaultControls {
  private faults: Array<Fault & { left: number }> = []
  private limit: number | undefined
  private writes: number[] = []

  constructor(private readonly clock: () => number) {}

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 })
  }

  clear(): void {
    this.faults = []
    this.limit = undefined
    this.writes = []
  }

  throttleWrites(perMinute: number | undefined): void {
    this.limit = perMinute
    this.writes = []
  }

  /** Answers (or drops) the request when a fault matches it; true when it did. */
  intercept(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: RequestTarget,
    onDrop: () => void
  ): boolean {
    const method = req.method ?? 'GET'
    const fault = this.faults.find(
      f =>
        f.left > 0 &&
        (f.method === undefined || f.method === method) &&
        (f.path === undefined ||
          (typeof f.path === 'string' ? f.path === target.pathname : f.path.test(target.pathname)))
    )
    if (!fault) return false
    fault.left--
    if (fault.status === 'reset') {
      onDrop()
      req.socket.destroy()
      return true
    }
    const body = Buffer.from(fault.body ?? '')
    res.writeHead(fault.status, {
      ...acrHeaders(),
      'content-length': String(body.length),
      ...fault.headers
    })
    res.end(body)
    return true
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
