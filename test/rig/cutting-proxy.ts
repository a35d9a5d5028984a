// An HTTP CONNECT proxy (what HTTPS_PROXY names) that tunnels every
// connection, and drops the first few tunnels to one host once that host has
// sent a given number of bytes through them: a download cut mid-body, on an
// origin (such as the blob storage ACR redirects to) that has no fault
// injection of its own. TLS stays end to end; only bytes are counted.

import http from 'node:http'
import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

export interface CuttingProxyOptions {
  /** `host:port` of the origin whose tunnels are cut. */
  cutHost: string
  /** Bytes from that origin let through a tunnel before it is dropped. */
  afterBytes: number
  /** How many tunnels are cut; 1 by default. */
  times?: number
}

export interface CuttingProxy {
  /** `http://127.0.0.1:PORT`, for HTTPS_PROXY. */
  url: string
  /** The CONNECT targets asked for, in order. */
  tunnels(): string[]
  /** Tunnels dropped so far. */
  cuts(): number
  stop(): Promise<void>
}

export async function startCuttingProxy(options: CuttingProxyOptions): Promise<CuttingProxy> {
  const targets: string[] = []
  const sockets = new Set<Socket>()
  let left = options.times ?? 1
  let cuts = 0
  const server = http.createServer((_req, res) => {
    res.writeHead(405, { 'content-length': '0' })
    res.end()
  })
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? ''
    targets.push(target)
    const [host = '', port = ''] = splitHostPort(target)
    const upstream = connect(Number(port), host)
    sockets.add(client).add(upstream)
    const close = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', () => sockets.delete(client))
    upstream.on('close', () => sockets.delete(upstream))
    client.on('error', close)
    upstream.on('error', close)
    upstream.on('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      client.pipe(upstream)
      if (target !== options.cutHost || left <= 0) {
        upstream.pipe(client)
        return
      }
      left--
      let passed = 0
      upstream.on('data', (chunk: Buffer) => {
        const room = options.afterBytes - passed
        if (room > chunk.length) {
          passed += chunk.length
          client.write(chunk)
          return
        }
        client.write(chunk.subarray(0, room))
        cuts++
        upstream.removeAllListeners('data')
        // Let what was written reach the client, then drop both ends.
        client.end(() => close())
        setTimeout(close, 50)
      })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels: () => [...targets],
    cuts: () => cuts,
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

function splitHostPort(target: string): [string, string] {
  const colon = target.lastIndexOf(':')
  return [target.slice(0, colon).replace(/^\[|\]$/g, ''), target.slice(colon + 1)]
}
