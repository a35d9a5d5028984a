// What every emulator stands on: an HTTPS origin on a free loopback port with a
// certificate from the test CA, a log of what it answered (how a request
// authenticated, never the credential, so tests may print it), and the reply
// and body helpers that OAuth-style endpoints need.

import { readFile } from 'node:fs/promises'
import type http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { makeTempDir, removeTempDir } from '../rig/cleanup.js'
import {
  createCertificateAuthority,
  issueCertificate,
  type CertificateAuthority
} from '../rig/tls.js'

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

/** The body is left unread: read it with readBody or readForm. */
export type UrlHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL
) => void | Promise<void>

export interface HttpsServerOptions {
  /** Lowercase letters only: it names the temp folder and the certificate. */
  name: string
  /** Signs the server certificate; without it the server makes its own CA. */
  ca?: CertificateAuthority
  handler: UrlHandler
}

export interface HttpsServer {
  /** `https://127.0.0.1:PORT`, no trailing slash. */
  url: string
  /** The CA to trust: the one given, or the one made for this server. */
  ca: CertificateAuthority
  requests(): LoggedRequest[]
  stop(): Promise<void>
}

// Token requests are a few kilobytes and manifests at most 4 MiB (ACR's limit);
// anything larger is a client bug, and an emulator must not buffer it whole.
const MAX_BODY_BYTES = 4 * 1024 * 1024

/** An origin with its own temp folder (and CA, when none is given) and JSON errors. */
export async function startHttpsServer(options: HttpsServerOptions): Promise<HttpsServer> {
  const dir = await makeTempDir(options.name)
  const ca = options.ca ?? (await createCertificateAuthority(join(dir, 'ca')))
  const origin = await startOrigin({
    ca,
    dir,
    name: options.name,
    logQuery: false,
    handler: async (req, res) =>
      options.handler(req, res, new URL(req.url ?? '/', 'https://127.0.0.1')),
    // A crash in an emulator must show in the test as a 500, not as a hang.
    onError: (res, error) => sendJson(res, 500, { error: 'emulator_error', message: String(error) })
  })
  let stopped: Promise<void> | undefined
  return {
    url: origin.url,
    ca,
    requests: () => [...origin.log],
    stop: () =>
      (stopped ??= (async () => {
        await origin.stop()
        await removeTempDir(dir)
      })())
  }
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {}
): void {
  const body = Buffer.from(JSON.stringify(value))
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.length),
    ...headers
  })
  res.end(body)
}

export function bearerToken(req: http.IncomingMessage): string | undefined {
  const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')
  return match?.[1]
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The form fields of an `application/x-www-form-urlencoded` body. Any other
 * body counts as no fields at all, as OAuth servers treat it: the request then
 * fails on its first missing parameter.
 */
export async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const body = await readBody(req)
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  return type === 'application/x-www-form-urlencoded'
    ? new URLSearchParams(body)
    : new URLSearchParams()
}
