import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import net from 'node:net'
import { Readable } from 'node:stream'
import { TransportError } from '../../src/http/errors.js'
import { closeServer, listenOnLoopback } from '../../test/rig/loopback-server.js'
import { Transport, type RetryEvent } from '../../src/http/transport.js'

// A loopback server that answers each request with the next scripted handler.
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void

interface Scripted {
  url: string
  seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>
  connections(): number
  close(): Promise<void>
}

async function scriptedServer(handlers: Handler[]): Promise<Scripted> {
  const seen: Scripted['seen'] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', c => chunks.push(c as Buffer))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const handler = handlers[Math.min(seen.length - 1, handlers.length - 1)]
      handler!(req, res, body)
    })
  })
  let connections = 0
  server.on('connection', () => connections++)
  return {
    url: await listenOnLoopback(server),
    seen,
    connections: () => connections,
    close: () => closeServer(server)
  }
}

const reply =
  (status: number, body = '', headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, headers)
    res.end(body)
  }

const reset: Handler = req => req.socket.destroy()

describe('Transport', () => {
  let sleeps: number[]
  let retries: RetryEvent[]
  let servers: Scripted[]
  let transport: Transport

  beforeEach(() => {
    sleeps = []
    retries = []
    servers = []
    transport = new Transport({
      sleep: async ms => {
        sleeps.push(ms)
      },
      random: () => 1,
      retry: { baseDelayMs: 100, maxRetryAfterMs: 10_000 },
      proxy: {},
      onRetry: event => retries.push(event)
    })
  })

  afterEach(async () => {
    await transport.close()
    await Promise.all(servers.map(s => s.close()))
  })

  async function serve(...handlers: Handler[]): Promise<Scripted> {
    const server = await scriptedServer(handlers)
    servers.push(server)
    return server
  }

  it('retries 5xx with exponential backoff and returns the first success', async () => {
    const server = await serve(reply(503), reply(502), reply(200, 'ok'))
    const response = await transport.send({ method: 'GET', url: `${server.url}/v2/` })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok')
    expect(server.seen).toHaveLength(3)
    expect(sleeps).toEqual([100, 200])
    expect(retries.map(r => r.status)).toEqual([503, 502])
  })

  it("waits as long as a 429's Retry-After says", async () => {
    const server = await serve(reply(429, '', { 'retry-after': '3' }), reply(200))
    const response = await transport.send({ method: 'GET', url: server.url })
    expect(response.status).toBe(200)
    expect(sleeps).toEqual([3000])
  })

  it('hands back a 429 whose Retry-After is longer than it will wait', async () => {
    const server = await serve(reply(429, 'slow down', { 'retry-after': '3600' }), reply(200))
    const response = await transport.send({ method: 'GET', url: server.url })
    expect(response.status).toBe(429)
    expect(await response.text()).toBe('slow down')
    expect(server.seen).toHaveLength(1)
  })

  it('returns the last answer when every attempt failed', async () => {
    const server = await serve(reply(500))
    const response = await transport.send({ method: 'GET', url: server.url })
    expect(response.status).toBe(500)
    expect(server.seen).toHaveLength(5)
    expect(sleeps).toHaveLength(4)
  })

  it('does not retry a client error', async () => {
    const server = await serve(reply(404, '{"errors":[]}'), reply(200))
    const response = await transport.send({ method: 'GET', url: server.url })
    expect(response.status).toBe(404)
    expect(server.seen).toHaveLength(1)
  })

  it('retries a connection reset', async () => {
    const server = await serve(reset, reply(200, 'after reset'))
    const response = await transport.send({ method: 'GET', url: server.url })
    expect(await response.text()).toBe('after reset')
    expect(retries[0]?.code).toBeDefined()
  })

  it('fails with a typed error naming the host when nothing listens', async () => {
    const server = await serve(reply(200))
    const url = server.url
    await server.close()
    servers = []
    const error = await transport.send({ method: 'GET', url }).catch(e => e)
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).failure).toBe('connect')
    expect((error as TransportError).message).toContain(new URL(url).host)
  })

  it('opens a streamed body again for each attempt', async () => {
    const server = await serve(reply(503), reply(201))
    let opened = 0
    const response = await transport.send({
      method: 'PUT',
      url: server.url,
      headers: { 'content-length': '11' },
      body: () => {
        opened++
        return Readable.from([Buffer.from('hello '), Buffer.from('world')])
      }
    })
    expect(response.status).toBe(201)
    expect(opened).toBe(2)
    expect(server.seen.map(s => s.body)).toEqual(['hello world', 'hello world'])
  })

  it('follows a redirect to another host without the Authorization header', async () => {
    const storage = await serve(reply(200, 'blob bytes'))
    const registry = await serve(reply(307, '', { location: `${storage.url}/data?sig=x` }))
    const response = await transport.send({
      method: 'GET',
      url: `${registry.url}/v2/a/blobs/sha256:1`,
      headers: { Authorization: 'Bearer secret', accept: '*/*' }
    })
    expect(await response.text()).toBe('blob bytes')
    expect(response.url.toString()).toBe(`${storage.url}/data?sig=x`)
    expect(registry.seen[0]?.headers.authorization).toBe('Bearer secret')
    expect(storage.seen[0]?.headers.authorization).toBeUndefined()
    expect(storage.seen[0]?.headers.accept).toBe('*/*')
  })

  it('keeps the Authorization header on a redirect within the same origin', async () => {
    const server = await serve(reply(307, '', { location: '/elsewhere' }), reply(200))
    await transport.send({
      method: 'GET',
      url: `${server.url}/start`,
      headers: { authorization: 'Bearer t' }
    })
    expect(server.seen.map(s => [s.url, s.headers.authorization])).toEqual([
      ['/start', 'Bearer t'],
      ['/elsewhere', 'Bearer t']
    ])
  })

  it('turns a POST into a GET on 303', async () => {
    const server = await serve(reply(303, '', { location: '/result' }), reply(200))
    await transport.send({
      method: 'POST',
      url: server.url,
      body: 'form',
      headers: { 'content-type': 'text/plain' }
    })
    expect(server.seen.map(s => [s.method, s.body])).toEqual([
      ['POST', 'form'],
      ['GET', '']
    ])
  })

  it('hands a redirect back when told to follow none', async () => {
    const server = await serve(reply(307, '', { location: '/x' }))
    const response = await transport.send({ method: 'GET', url: server.url, maxRedirects: 0 })
    expect(response.status).toBe(307)
    expect(response.header('location')).toBe('/x')
  })

  it('stops a redirect loop', async () => {
    const server = await serve(reply(302, '', { location: '/again' }))
    await expect(transport.send({ method: 'GET', url: server.url })).rejects.toThrow(
      /more than 5 redirects/
    )
  })

  it('reuses the connection between requests (keep-alive)', async () => {
    const server = await serve(reply(200, 'a'))
    for (let i = 0; i < 3; i++) {
      const response = await transport.send({ method: 'GET', url: server.url })
      await response.text()
      // Let the connection go back to the pool before the next request asks for one.
      await new Promise(resolve => setImmediate(resolve))
    }
    expect(server.seen).toHaveLength(3)
    expect(server.connections()).toBe(1)
  })
})

describe('Transport through a proxy', () => {
  it('tunnels through HTTP(S)_PROXY unless NO_PROXY names the host', async () => {
    const target = await scriptedServer([reply(200, 'via proxy')])
    const tunnels: string[] = []
    const proxy = http.createServer()
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
      tunnels.push(req.url ?? '')
      const [host, port] = (req.url ?? '').split(':')
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.pipe(client)
        client.pipe(upstream)
      })
    })
    const proxyUrl = await listenOnLoopback(proxy)
    const targetHost = new URL(target.url).host

    const proxied = new Transport({ proxy: { httpProxy: proxyUrl } })
    const direct = new Transport({ proxy: { httpProxy: proxyUrl, noProxy: '127.0.0.1' } })
    try {
      expect(await (await proxied.send({ method: 'GET', url: target.url })).text()).toBe(
        'via proxy'
      )
      expect(tunnels).toEqual([targetHost])
      expect((await direct.send({ method: 'GET', url: target.url })).status).toBe(200)
      expect(tunnels).toHaveLength(1)
    } finally {
      await proxied.close()
      await direct.close()
      await target.close()
      await closeServer(proxy)
    }
  })
})
