import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'

export interface SimpleRequest {
  method?: string
  headers?: Record<string, string>
  /** PEM of the CA that signed the server's certificate, for https URLs. */
  ca?: string
  timeoutMs?: number
}

export interface SimpleResponse {
  status: number
  headers: IncomingHttpHeaders
  /** The body as UTF-8 text, and as received for binary blobs. */
  body: string
  bytes: Buffer
}

/**
 * One HTTP(S) exchange with node's own client, which shares no code with the
 * action under test. Rejects only when no response arrives.
 */
export function simpleRequest(url: string, options: SimpleRequest = {}): Promise<SimpleResponse> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        timeout: options.timeoutMs ?? 5_000,
        // A pooled socket would outlive the request and keep a test process alive.
        agent: false
      },
      res => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const bytes = Buffer.concat(chunks)
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: bytes.toString(),
            bytes
          })
        })
      }
    )
    req.on('timeout', () => req.destroy(new Error(`${url}: no response in time`)))
    req.on('error', reject)
    req.end()
  })
}
