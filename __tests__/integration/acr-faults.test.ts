// The ACR emulator's rate-based faults: seeded, so a run replays; filtered by
// method and path, never on the token endpoints unless a path names them;
// resets that drop a connection on arrival or in the middle of an upload.
// Requests go out with node's own client and no retries, so every fault shows.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import https from 'node:https'
import { Readable } from 'node:stream'
import { startAcrEmulator, type AcrEmulator } from '../../test/emulators/acr/index.js'
import type { RateFault } from '../../test/emulators/acr/faults.js'

const admin = { username: 'faultsadmin', password: 'faults-Password-1' }
const repository = 'faults/upload'
let acr: AcrEmulator

beforeAll(async () => {
  acr = await startAcrEmulator({ users: [admin] })
})

afterAll(async () => {
  await acr.stop()
})

afterEach(() => acr.faults.clear())

interface Outcome {
  /** The HTTP status, or `'reset'` when the connection dropped without one. */
  status: number | 'reset'
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer; chunk?: number } = {}
): Promise<Outcome> {
  return new Promise(resolve => {
    let settled = false
    const settle = (outcome: Outcome) => {
      if (!settled) resolve(outcome)
      settled = true
    }
    const reset = () => settle({ status: 'reset', headers: {}, body: '' })
    const req = https.request(
      new URL(path, acr.url),
      { method, headers: options.headers, ca: acr.caPem, agent: false },
      res => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reset)
        res.on('end', () =>
          settle({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: String(Buffer.concat(chunks))
          })
        )
      }
    )
    req.on('error', reset)
    const body = options.body
    if (!body) return req.end()
    const size = options.chunk ?? body.length
    const chunks = Array.from({ length: Math.ceil(body.length / size) }, (_, i) =>
      body.subarray(i * size, (i + 1) * size)
    )
    Readable.from(chunks).pipe(req)
  })
}

async function statuses(count: number, path = '/v2/'): Promise<Array<number | 'reset'>> {
  const seen: Array<number | 'reset'> = []
  for (let i = 0; i < count; i++) seen.push((await send('GET', path)).status)
  return seen
}

function tally(seen: Array<number | 'reset'>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const status of seen) out[String(status)] = (out[String(status)] ?? 0) + 1
  return out
}

// The emulator logs a request once its response is flushed, which can trail the client.
const logSettled = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 50))

async function pushToken(): Promise<string> {
  const basic = Buffer.from(`${admin.username}:${admin.password}`).toString('base64')
  const query = new URLSearchParams({
    service: acr.service,
    scope: `repository:${repository}:pull,push`
  })
  const reply = await send('GET', `/oauth2/token?${query}`, {
    headers: { authorization: `Basic ${basic}` }
  })
  expect(reply.status).toBe(200)
  return (JSON.parse(reply.body) as { access_token: string }).access_token
}

async function startUpload(token: string): Promise<string> {
  const reply = await send('POST', `/v2/${repository}/blobs/uploads/`, {
    headers: { authorization: `Bearer ${token}`, 'content-length': '0' }
  })
  expect(reply.status).toBe(202)
  return String(reply.headers.location)
}

const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

const mixed: RateFault[] = [
  { rate: 0.3, status: 429, headers: { 'retry-after': '1' } },
  { rate: 0.05, status: 500 },
  { rate: 0.05, status: 503 },
  { rate: 0.05, status: 'reset' }
]

describe('ACR emulator: rate-based faults', () => {
  it('hits close to the configured share of a few hundred requests, and counts each kind', async () => {
    const requests = 400
    acr.faults.injectRates(2024, mixed)
    const seen = tally(await statuses(requests))
    // Four standard deviations of a binomial draw either way.
    const near = (count: number | undefined, rate: number) => {
      const spread = 4 * Math.sqrt(requests * rate * (1 - rate))
      expect(count ?? 0).toBeGreaterThanOrEqual(requests * rate - spread)
      expect(count ?? 0).toBeLessThanOrEqual(requests * rate + spread)
    }
    near(seen['429'], 0.3)
    near(seen['500'], 0.05)
    near(seen['503'], 0.05)
    near(seen.reset, 0.05)
    near(seen['401'], 0.55)
    const { '401': unhit, ...injected } = seen
    expect(unhit).toBeGreaterThan(0)
    expect(acr.faults.counts()).toEqual({ drawn: requests, injected })
  })

  it('answers 429 with Retry-After and ACR’s error envelope', async () => {
    acr.faults.injectRates(1, [{ rate: 1, status: 429, headers: { 'retry-after': '1' } }])
    const reply = await send('GET', '/v2/')
    expect(reply.status).toBe(429)
    expect(reply.headers['retry-after']).toBe('1')
    expect(JSON.parse(reply.body)).toMatchObject({ errors: [{ code: 'TOOMANYREQUESTS' }] })
  })

  it('replays the same sequence for the same seed, and another for another seed', async () => {
    acr.faults.injectRates(42, mixed)
    const first = await statuses(120)
    acr.faults.injectRates(42, mixed)
    const again = await statuses(120)
    acr.faults.injectRates(43, mixed)
    const other = await statuses(120)
    expect(new Set(first).size).toBeGreaterThan(2)
    expect(again).toEqual(first)
    expect(other).not.toEqual(first)
  })

  it('leaves the token endpoints alone unless a path names them', async () => {
    const token = `/oauth2/token?service=${acr.service}&scope=repository:${repository}:pull`
    acr.faults.injectRates(5, [{ rate: 1, status: 503 }])
    expect((await send('GET', token)).status).toBe(401)
    expect((await send('POST', '/oauth2/exchange', { body: Buffer.from('x') })).status).not.toBe(
      503
    )
    expect((await send('GET', '/v2/')).status).toBe(503)
    expect(acr.faults.counts()).toEqual({ drawn: 1, injected: { '503': 1 } })

    acr.faults.injectRates(5, [{ rate: 1, status: 503, path: /^\/oauth2\// }])
    expect((await send('GET', token)).status).toBe(503)
    expect((await send('GET', '/v2/')).status).toBe(401)
  })

  it('hits only the methods and paths it names', async () => {
    acr.faults.injectRates(9, [
      { rate: 1, status: 502, method: ['PUT', 'PATCH'], path: /\/blobs\/uploads\// }
    ])
    const upload = `/v2/${repository}/blobs/uploads/abc`
    expect((await send('GET', upload)).status).toBe(401)
    expect((await send('PUT', '/v2/other/manifests/v1', { body: Buffer.from('{}') })).status).toBe(
      401
    )
    expect((await send('PATCH', upload, { body: Buffer.from('x') })).status).toBe(502)
    expect((await send('PUT', upload, { body: Buffer.from('x') })).status).toBe(502)
    expect(acr.faults.counts()).toEqual({ drawn: 2, injected: { '502': 2 } })
  })

  it('with inARow, lets a request through after that many faults in a row, counting each request apart', async () => {
    acr.faults.injectRates(7, [{ rate: 1, status: 503 }], { inARow: 2 })
    expect(await statuses(6)).toEqual([503, 503, 401, 503, 503, 401])
    // A retried upload opens a new session: its requests count as the same one.
    const upload = (session: string) =>
      send('PATCH', `/v2/${repository}/blobs/uploads/${session}`, { body: Buffer.from('x') })
    expect((await upload('a')).status).toBe(503)
    expect((await send('GET', `/v2/${repository}/tags/list`)).status).toBe(503)
    expect((await upload('b')).status).toBe(503)
    expect((await upload('c')).status).toBe(401)
    expect(acr.faults.counts()).toEqual({ drawn: 10, injected: { '503': 7 } })
  })

  it('lets scripted faults go first, and keeps counting them', async () => {
    acr.faults.injectRates(3, [{ rate: 1, status: 500 }])
    acr.faults.inject({ path: '/v2/', status: 418, times: 1 })
    expect(await statuses(2)).toEqual([418, 500])
    expect(acr.faults.counts()).toEqual({ drawn: 1, injected: { '418': 1, '500': 1 } })
  })

  it('refuses rates outside 0..1 or adding up to more than 1, and a bound below one in a row', () => {
    expect(() => acr.faults.injectRates(1, [{ rate: 1.5, status: 500 }])).toThrow(RangeError)
    expect(() =>
      acr.faults.injectRates(1, [
        { rate: 0.6, status: 500 },
        { rate: 0.6, status: 503 }
      ])
    ).toThrow('more than 1')
    for (const inARow of [0, Number.NaN])
      expect(() => acr.faults.injectRates(1, [{ rate: 1, status: 500 }], { inARow })).toThrow(
        'inARow'
      )
  })
})

describe('ACR emulator: dropped connections', () => {
  it('drops a connection on arrival, unanswered, and logs it as status 0', async () => {
    acr.faults.injectRates(11, [{ rate: 1, status: 'reset', path: '/v2/' }])
    const before = acr.requests().length
    expect((await send('GET', '/v2/')).status).toBe('reset')
    await logSettled()
    expect(acr.requests().slice(before)).toEqual([
      expect.objectContaining({ method: 'GET', path: '/v2/', status: 0 })
    ])
    expect(acr.faults.counts().injected).toEqual({ reset: 1 })
  })

  it('drops a chunked upload (PATCH) part way, after the registry stored some of it, at most the part', async () => {
    const token = await pushToken()
    const location = await startUpload(token)
    const afterBytes = 256 * 1024
    acr.faults.injectRates(12, [{ rate: 1, status: 'reset-in-body', method: 'PATCH', afterBytes }])
    const before = acr.requests().length
    const body = randomBytes(2 * 1024 * 1024)
    const cut = await send('PATCH', location, {
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(body.length)
      },
      body,
      chunk: 64 * 1024
    })
    expect(cut.status).toBe('reset')
    expect(acr.faults.counts()).toEqual({ drawn: 1, injected: { 'reset-in-body': 1 } })
    await logSettled()
    const patches = acr
      .requests()
      .slice(before)
      .filter(r => r.method === 'PATCH')
    expect(patches).toEqual([expect.objectContaining({ status: 0 })])

    // The registry stored the part that got through, so the session's state no longer
    // matches it: distribution then cancels the upload, and a client must start over.
    const status = await send('GET', location, { headers: { authorization: `Bearer ${token}` } })
    expect(status.status).toBe(404)
    expect(JSON.parse(status.body)).toMatchObject({ errors: [{ code: 'BLOB_UPLOAD_INVALID' }] })
    const stored = /upload resumed at wrong offest: (\d+) != 0/.exec(acr.registry.logs())
    expect(Number(stored?.[1])).toBeGreaterThan(0)
    expect(Number(stored?.[1])).toBeLessThanOrEqual(afterBytes)
  })

  it('drops a monolithic upload (PUT) half way, committing nothing, and the next try succeeds', async () => {
    const token = await pushToken()
    const body = randomBytes(1024 * 1024)
    const digest = sha256(body)
    const put = async (location: string) =>
      send('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, {
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
          'content-length': String(body.length)
        },
        body,
        chunk: 32 * 1024
      })
    const head = async () =>
      (
        await send('HEAD', `/v2/${repository}/blobs/${digest}`, {
          headers: { authorization: `Bearer ${token}` }
        })
      ).status

    acr.faults.inject({ method: 'PUT', status: 'reset-in-body' })
    expect((await put(await startUpload(token))).status).toBe('reset')
    expect(acr.faults.counts().injected).toEqual({ 'reset-in-body': 1 })
    expect(await head()).toBe(404)

    expect((await put(await startUpload(token))).status).toBe(201)
    expect(await head()).toBe(200)
  })

  it('drops a request without a body on arrival when asked to cut its body', async () => {
    acr.faults.injectRates(13, [{ rate: 1, status: 'reset-in-body', path: '/v2/' }])
    expect((await send('GET', '/v2/')).status).toBe('reset')
    expect(acr.faults.counts().injected).toEqual({ 'reset-in-body': 1 })
  })
})
