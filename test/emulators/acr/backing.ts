// The emulator's line to the backing distribution registry (plain HTTP on
// loopback): small exchanges read whole (manifests, deletes), and forwarding
// that streams bodies both ways so a blob is never held in memory. ACR
// answers with relative Locations, so absolute ones pointing at the registry
// are cut down to their path.

import http from 'node:http'
import type { Registry } from '../../rig/registry.js'
import { acrHeaders, errors, sendError } from './replies.js'

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

// Hop-by-hop headers, and the client's credentials, which are for ACR, not for the registry.
const DROPPED_REQUEST_HEADERS = ['authorization', 'host', 'connection', 'keep-alive']
const DROPPED_RESPONSE_HEADERS = ['connection', 'keep-alive', 'transfer-encoding']

export class Backing {
  private readonly origin: URL
  private readonly agent = new http.Agent({ keepAlive: true })

  constructor(registry: Registry) {
    this.origin = new URL(registry.url)
  }

  request(
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders = {},
    body?: Buffer
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const request = this.open(method, path, headers, response => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 502,
            headers: response.headers,
            body: Buffer.concat(chunks)
          })
        )
      })
      request.on('error', reject)
      request.end(body)
    })
  }

  /** Streams `req` to the registry at `path` and the answer back to `res`. */
  forward(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const headers = { ...req.headers }
    for (const name of DROPPED_REQUEST_HEADERS) delete headers[name]
    return new Promise(resolve => {
      const upstream = this.open(req.method ?? 'GET', path, headers, response => {
        res.writeHead(response.statusCode ?? 502, this.responseHeaders(response.headers))
        response.pipe(res)
        response.on('end', resolve)
        response.on('error', () => res.destroy())
      })
      upstream.on('error', () => {
        if (!res.headersSent) {
          sendError(res, 502, errors.invalid('UNAVAILABLE', 'the backing registry did not answer'))
        } else res.destroy()
        resolve()
      })
      // A client that hangs up takes the registry request down with it.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy()
        resolve()
      })
      req.pipe(upstream)
    })
  }

  /** The registry's headers as ACR would send them: ACR's own added, Location made relative. */
  responseHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
    const out: http.OutgoingHttpHeaders = { ...headers, ...acrHeaders() }
    for (const name of DROPPED_RESPONSE_HEADERS) delete out[name]
    if (typeof headers.location === 'string') out.location = this.relative(headers.location)
    return out
  }

  close(): void {
    this.agent.destroy()
  }

  private relative(location: string): string {
    const url = new URL(location, this.origin)
    return url.origin === this.origin.origin ? `${url.pathname}${url.search}` : location
  }

  private open(
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders,
    onResponse: (response: http.IncomingMessage) => void
  ): http.ClientRequest {
    return http.request(
      {
        hostname: this.origin.hostname,
        port: this.origin.port,
        method,
        path,
        headers,
        agent: this.agent
      },
      onResponse
    )
  }
}
