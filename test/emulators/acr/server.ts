// An HTTPS origin on a free loopback port with a certificate from the test CA,
// and a log of what it answered. The log records how a request authenticated
// but never the credential itself, so tests may print it freely.

import { readFile } from 'node:fs/promises'
import type http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { issueCertificate, type CertificateAuthority } from '../../rig/tls.js'

export type AuthKind = 'bearer' | 'basic' | 'none' | 'other'

export interface LoggedRequest {
  method: string
  path: string
  /** The query string without `?`; left out where it carries a signature (storage). */
  query?: string
  /** 0 when the connection was dropped unanswered (an injected reset). */
  status: number
  auth: AuthKind
}

/** A request URL split by hand: `new URL` would read a path starting `//` as a host. */
export interface RequestTarget {
  /** As sent, still percent-encoded. */
  pathname: string
  query: URLSearchParams
  search: string
}

export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: RequestTarget
) => Promise<void>

export interface Origin {
  url: string
  host: string
  log: LoggedRequest[]
  /** Logs a request that got no HTTP answer (its socket was destroyed). */
  logDropped(req: http.IncomingMessage, target: RequestTarget): void
  stop(): Promise<void>
}

export function authKind(req: http.IncomingMessage): AuthKind {
  const scheme = req.headers.authorization?.split(' ')[0]?.toLowerCase()
  if (scheme === undefined) return 'none'
  return scheme === 'bearer' ? 'bearer' : scheme === 'basic' ? 'basic' : 'other'
}

export function splitTarget(raw: string): RequestTarget {
  const mark = raw.indexOf('?')
  const pathname = mark < 0 ? raw : raw.slice(0, mark)
  const search = mark < 0 ? '' : raw.slice(mark + 1)
  return { pathname, query: new URLSearchParams(search), search }
}

export async function startOrigin(options: {
  ca: CertificateAuthority
  dir: string
  name: string
  logQuery: boolean
  handler: Handler
  onError: (res: http.ServerResponse, error: unknown) => void
}): Promise<Origin> {
  const leaf = await issueCertificate(options.ca, options.dir, { name: options.name })
  const log: LoggedRequest[] = []
  const entry = (req: http.IncomingMessage, target: RequestTarget, status: number) => {
    log.push({
      method: req.method ?? '',
      path: target.pathname,
      ...(options.logQuery ? { query: target.search } : {}),
      status,
      auth: authKind(req)
    })
  }
  const server = https.createServer(
    { cert: await readFile(leaf.cert), key: await readFile(leaf.key) },
    (req, res) => {
      const target = splitTarget(req.url ?? '/')
      res.on('finish', () => entry(req, target, res.statusCode))
      options.handler(req, res, target).catch(error => {
        if (!res.headersSent) options.onError(res, error)
        else res.destroy()
      })
    }
  )
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `https://${host}`,
    host,
    log,
    logDropped: (req, target) => entry(req, target, 0),
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
