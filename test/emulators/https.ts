// The emulators' common ground: an HTTPS server on a free loopback port with a
// certificate from the test CA, a request log, and small reply helpers.

import { readFile } from 'node:fs/promises'
import https from 'node:https'
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import { issueCertificate, type CertificateAuthority } from '../rig/tls.js'
import { makeTempDir, removeTempDir } from '../rig/cleanup.js'

export interface LoggedRequest {
  method: string
  path: string
  status: number
}

/** The request body is left unread: read it with readBody, or stream it on. */
export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL
) => void | Promise<void>

export interface EmulatorServer {
  url: string
  host: string
  requests: LoggedRequest[]
  stop(): Promise<void>
}

export async function startHttpsServer(
  ca: CertificateAuthority,
  name: string,
  handler: Handler
): Promise<EmulatorServer> {
  const dir = await makeTempDir(name)
  const leaf = await issueCertificate(ca, dir, { name })
  const requests: LoggedRequest[] = []
  const server = https.createServer(
    { cert: await readFile(leaf.cert), key: await readFile(leaf.key) },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1')
      res.on('finish', () =>
        requests.push({ method: req.method ?? '', path: url.pathname, status: res.statusCode })
      )
      Promise.resolve(handler(req, res, url)).catch(error => {
        if (!res.headersSent) sendJson(res, 500, { error: String(error) })
      })
    }
  )
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `https://${host}`,
    host,
    requests,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
      await removeTempDir(dir)
    }
  }
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {}
): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(body)
}

export function bearerToken(req: http.IncomingMessage): string | undefined {
  const header = req.headers.authorization
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined
}

export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
