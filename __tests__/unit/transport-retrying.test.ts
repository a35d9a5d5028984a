// One attempt when a request says `retry: false`, and whole exchanges
// repeated through `Transport.retrying` on the failures the transport would
// retry by itself, with the same policy, pauses and retry events.

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import { TransportError } from '../../src/http/errors.js'
import { Transport, type RetryEvent } from '../../src/http/transport.js'
import { RegistryError } from '../../src/registry/errors.js'
import { closeServer, listenOnLoopback } from '../../test/rig/loopback-server.js'

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void

interface Scripted {
  url: string
  /** Requests received, in order. */
  seen: string[]
  close(): Promise<void>
}

// Each request gets the next handler; the last one answers everything after.
async function scriptedServer(handlers: Handler[]): Promise<Scripted> {
  const seen: string[] = []
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`)
      handlers[Math.min(seen.length - 1, handlers.length - 1)]!(req, res)
    })
  })
  return { url: await listenOnLoopback(server), seen, close: () => closeServer(server) }
}

const reply =
  (status: number, body = '', headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, headers)
    res.end(body)
  }

const reset: Handler = req => req.socket.destroy()

/** An error as a task throws it: a status (and Retry-After) like a RegistryError, or a code. */
function failing(fields: { status?: number; retryAfterMs?: number; code?: string }): Error {
  return Object.assign(new Error(`failed with ${JSON.stringify(fields)}`), fields)
}

describe('Transport: retry false and retrying', () => {
  let sleeps: number[]
  let events: RetryEvent[]
  let servers: Scripted[]
  let transport: Transport
  const what = { method: 'PUT', url: new URL('http://registry.example/v2/team/app/blobs/uploads/') }

  beforeEach(() => {
    sleeps = []
    events = []
    servers = []
    transport = new Transport({
      sleep: async ms => {
        sleeps.push(ms)
      },
      random: () => 1,
      retry: { attempts: 4, baseDelayMs: 100, maxRetryAfterMs: 10_000 },
      proxy: {},
      onRetry: event => events.push(event)
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

  /** A task that throws the given errors in turn, then returns `done`; counts its runs. */
  function script(errors: Error[], done = 'done') {
    const task = {
      runs: 0,
      run: async (): Promise<string> => {
        const error = errors[task.runs++]
        if (error) throw error
        return done
      }
    }
    return task
  }

  it('hands a 503 back after one attempt when told not to retry', async () => {
    const server = await serve(reply(503, 'busy'), reply(200))
    const response = await transport.send({ method: 'PATCH', url: server.url, retry: false })
    expect(response.status).toBe(503)
    expect(await response.text()).toBe('busy')
    expect(server.seen).toHaveLength(1)
    expect(events).toEqual([])
    expect(sleeps).toEqual([])
  })

  it('still retries the same 503 by default', async () => {
    const server = await serve(reply(503), reply(200))
    const response = await transport.send({ method: 'GET', url: server.url })
    expect(response.status).toBe(200)
    expect(server.seen).toHaveLength(2)
  })

  it('fails on a connection reset after one attempt when told not to retry', async () => {
    const server = await serve(reset, reply(200))
    const error = await transport
      .send({ method: 'PATCH', url: server.url, retry: false })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TransportError)
    expect(server.seen).toHaveLength(1)
    expect(events).toEqual([])
  })

  it('repeats a task that throws a retryable status, with backoff and retry events', async () => {
    const task = script([failing({ status: 503 }), failing({ status: 429 })])
    expect(await transport.retrying(what, task.run)).toBe('done')
    expect(task.runs).toBe(3)
    expect(sleeps).toEqual([100, 200])
    expect(events).toEqual([
      { url: what.url, method: 'PUT', retry: 1, delayMs: 100, status: 503 },
      { url: what.url, method: 'PUT', retry: 2, delayMs: 200, status: 429 }
    ])
  })

  it.each([408, 429, 500, 502, 503, 504])('repeats a task that failed with %d', async status => {
    const task = script([failing({ status })])
    await expect(transport.retrying(what, task.run)).resolves.toBe('done')
    expect(task.runs).toBe(2)
  })

  it('repeats a RegistryError with a retryable status', async () => {
    const task = script([new RegistryError(500, 'UNKNOWN', 'uploading: 500')])
    await expect(transport.retrying(what, task.run)).resolves.toBe('done')
    expect(task.runs).toBe(2)
  })

  it("waits as long as the error's retryAfterMs says", async () => {
    const task = script([failing({ status: 429, retryAfterMs: 2500 })])
    await expect(transport.retrying(what, task.run)).resolves.toBe('done')
    expect(sleeps).toEqual([2500])
    expect(events[0]).toMatchObject({ status: 429, delayMs: 2500 })
  })

  it('gives up at once when retryAfterMs is longer than it will wait', async () => {
    const error = failing({ status: 429, retryAfterMs: 60_000 })
    const task = script([error])
    await expect(transport.retrying(what, task.run)).rejects.toBe(error)
    expect(task.runs).toBe(1)
    expect(sleeps).toEqual([])
  })

  it('repeats a task whose connection was reset', async () => {
    const task = script([failing({ code: 'ECONNRESET' })])
    await expect(transport.retrying(what, task.run)).resolves.toBe('done')
    expect(task.runs).toBe(2)
    expect(events).toEqual([
      { url: what.url, method: 'PUT', retry: 1, delayMs: 100, code: 'ECONNRESET' }
    ])
  })

  it("finds a reset's code in an error's cause", async () => {
    const wrapped = new Error('upload broke', { cause: failing({ code: 'ECONNRESET' }) })
    const task = script([wrapped])
    await expect(transport.retrying(what, task.run)).resolves.toBe('done')
    expect(events[0]?.code).toBe('ECONNRESET')
  })

  it("gives up after the policy's attempts and throws the last error as it was", async () => {
    const errors = [1, 2, 3, 4].map(() => failing({ status: 500 }))
    const task = script(errors)
    const error = await transport.retrying(what, task.run).catch((e: unknown) => e)
    expect(error).toBe(errors[3])
    expect(task.runs).toBe(4)
    expect(events.map(e => e.retry)).toEqual([1, 2, 3])
  })

  it.each([400, 401, 404, 409])('does not repeat a task that failed with %d', async status => {
    const error = new RegistryError(status, undefined, `refused: ${status}`)
    const task = script([error])
    await expect(transport.retrying(what, task.run)).rejects.toBe(error)
    expect(task.runs).toBe(1)
    expect(events).toEqual([])
  })

  it('does not repeat a task that failed for another reason', async () => {
    const error = new Error('the file changed while it was read')
    const task = script([error])
    await expect(transport.retrying(what, task.run)).rejects.toBe(error)
    expect(task.runs).toBe(1)
  })

  it('repeats a whole exchange of one-attempt requests after a real reset', async () => {
    const server = await serve(reply(202), reset, reply(202), reply(201, 'stored'))
    let runs = 0
    const result = await transport.retrying(what, async () => {
      runs++
      const start = await transport.send({
        method: 'POST',
        url: `${server.url}/start`,
        retry: false
      })
      await start.discard()
      const put = await transport.send({ method: 'PUT', url: `${server.url}/put`, retry: false })
      return put.text()
    })
    expect(result).toBe('stored')
    expect(runs).toBe(2)
    expect(server.seen).toEqual(['POST /start', 'PUT /put', 'POST /start', 'PUT /put'])
    expect(events).toHaveLength(1)
    expect(events[0]?.code).toBeDefined()
  })
})
