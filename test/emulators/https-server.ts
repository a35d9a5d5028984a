// What the GitHub OIDC and Entra ID emulators share: an HTTPS server on a free
// loopback port whose certificate comes from a test CA (a fresh one when the
// caller brings none), a log of what was asked, and the reply and body helpers
// that OAuth-style endpoints need.

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

export interface LoggedRequest {
  method: string
  path: string
  status: number
}

/** The body is left unread: read it with readBody or readForm. */
export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL
) => void | Promise<void>

export interface HttpsServerOptions {
  /** Lowercase letters only: it names the temp folder and the certificate. */
  name: string
  /** Signs the server certificate; without it the server makes its own CA. */
  ca?: CertificateAuthority
  handler: Handler
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

export async function startHttpsServer(options: HttpsServerOptions): Promise<HttpsServer> {
  const dir = await makeTempDir(options.name)
  const ca = options.ca ?? (await createCertificateAuthority(join(dir, 'ca')))
  const leaf = await issueCertificate(ca, dir, { name: options.name })
  const log: LoggedRequest[] = []
  const server = https.createServer(
    { cert: await readFile(leaf.cert), key: await readFile(leaf.key) },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1')
      res.on('finish', () =>
        log.push({ method: req.method ?? '', path: url.pathname, status: res.statusCode })
      )
      // Async wrapper, so that a handler throwing synchronously is caught too.
      void (async () => options.handler(req, res, url))().catch((error: unknown) => {
        // A crash in an emulator must show in the test as a 500, not as a hang.
        if (!res.headersSent)
          sendJson(res, 500, { error: 'emulator_error', message: String(error) })
        else res.destroy()
      })
    }
  )
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  let stopped: Promise<void> | undefined
  return {
    url,
    ca,
    requests: () => [...log],
    stop: () =>
      (stopped ??= (async () => {
        server.closeAllConnections()
        await new Promise<void>(resolve => server.close(() => resolve()))
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
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(value))
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
