// prune driven directly, with the action's own clients, against the ACR
// emulator (admin user): what happens between the plan and the deletes (an
// image deleted or retagged by someone else, a 404), a repository that can't
// be read whole, include-locked lifting and restoring locks, ACR's write
// throttle (its clock and the transport's sleep joined, so a minute's
// Retry-After passes at once), a tagged referrer, and a GitHub API that
// refuses the token. Also the two emulator knobs prune benchmarks and tests
// lean on: latency, and the write throttle's answers as ACR gives them.
// What the registry holds is read from its storage, sharing no code with prune.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import type http from 'node:http'
import { join } from 'node:path'
import { Authorizer } from '../../src/auth/authorizer.js'
import { Transport, type HttpRequest, type HttpResponse } from '../../src/http/transport.js'
import type { PruneInputs } from '../../src/inputs.js'
import type { OperationContext, OperationResult } from '../../src/operations/context.js'
import { preparePrune } from '../../src/operations/prune/prune.js'
import { AcrMetadataClient, type ListOptions } from '../../src/registry/acr-metadata.js'
import { RegistryClient } from '../../src/registry/client.js'
import { compileRepositoryGlob, parseRegistry } from '../../src/registry/reference.js'
import { startAcrEmulator, type AcrEmulator } from '../../test/emulators/acr/index.js'
import { Latency } from '../../test/emulators/acr/latency.js'
import { pushManifest } from '../../test/rig/craft-artifact.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { startFakeGithub } from '../../test/rig/fake-github.js'
import { simpleRequest } from '../../test/rig/http.js'
import { ago, DAY, HOUR, PruneFixture, type Seeded } from '../../test/rig/prune-fixture.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'
import { createCertificateAuthority, type CertificateAuthority } from '../../test/rig/tls.js'

const admin = { username: 'pruneadmin', password: 'prune-Password-1' }

let dir: string
let ca: CertificateAuthority
let backing: Registry
let acr: AcrEmulator
let fixture: PruneFixture
let transport: Transport
/** How far the emulator's clock runs ahead of the real one. */
let skew = 0
/** When set, the emulator's clock stands still there (plus skew). */
let pinned: number | undefined

beforeAll(async () => {
  dir = await makeTempDir('prune')
  ca = await createCertificateAuthority(join(dir, 'ca'))
  backing = await startRegistry()
  acr = await startAcrEmulator({
    ca,
    registry: backing,
    users: [admin],
    clock: () => (pinned ?? Date.now()) + skew
  })
  fixture = new PruneFixture(acr)
  transport = new Transport({ ca: ca.pem, proxy: {}, retry: { baseDelayMs: 10 } })
})

afterAll(async () => {
  await transport?.close()
  await acr?.stop()
  await backing?.stop()
  await removeTempDir(dir)
})

afterEach(() => acr.faults.clear())

interface Run {
  result: OperationResult
  lines: string[]
  plan: Array<{ digest: string; decision: string; reason: string }>
}

function context(
  over: Transport = transport,
  metadata?: (client: RegistryClient) => AcrMetadataClient
): OperationContext & { lines: string[] } {
  const authorizer = new Authorizer({
    transport: over,
    credentials: { kind: 'basic', ...admin },
    mask: () => undefined
  })
  const client = new RegistryClient(acr.url, over, authorizer)
  const lines: string[] = []
  const push = (line: string): void => void lines.push(line)
  return {
    client,
    metadata: metadata?.(client) ?? new AcrMetadataClient(client),
    log: { info: push, warning: push, debug: () => undefined },
    transport: over,
    lines
  }
}

function pruning(repository: string, overrides: Partial<PruneInputs> = {}): PruneInputs {
  return {
    operation: 'prune',
    registry: parseRegistry(acr.url),
    auth: { mode: 'password', ...admin },
    summary: false,
    concurrency: 4,
    repositories: { kind: 'name', name: repository },
    keepCount: 1,
    excludeTags: [],
    untagged: 'allow',
    includeLocked: false,
    dryRun: false,
    maxDeletions: 1000,
    ...overrides
  }
}

async function prune(
  inputs: PruneInputs,
  ctx: OperationContext & { lines: string[] } = context(),
  env: NodeJS.ProcessEnv = {}
): Promise<Run> {
  const result = await preparePrune(inputs, { RUNNER_TEMP: dir, ...env })(ctx)
  const plan = JSON.parse(await readFile(result.outputs.plan ?? '', 'utf8')) as {
    images: Run['plan']
  }
  return { result, lines: ctx.lines, plan: plan.images }
}

/** Asserts the registry holds exactly `kept`, each with its tags and children. */
async function expectExactly(repository: string, kept: Seeded[]): Promise<void> {
  const held = await fixture.contents(repository)
  const digests = kept.flatMap(image => [image.digest, ...image.children])
  expect([...held.manifests].sort()).toEqual([...new Set(digests)].sort())
  const tags = Object.fromEntries(kept.flatMap(image => image.tags.map(tag => [tag, image.digest])))
  expect(held.tags).toEqual(tags)
}

/** A metadata client that runs `between` once, after the plan's listing and before the next. */
function afterPlan(between: () => Promise<void>) {
  return (client: RegistryClient): AcrMetadataClient => {
    let listings = 0
    return new (class extends AcrMetadataClient {
      override async *manifests(repository: string, options?: ListOptions) {
        if (++listings === 2) await between()
        yield* super.manifests(repository, options)
      }
    })(client)
  }
}

describe('prune between its plan and its deletes', () => {
  it('counts an image that someone else deleted meanwhile as already gone, not failed', async () => {
    const repository = 'midrun/gone'
    const [newest, raced] = await fixture.series(repository, 3, { newest: ago(DAY) })
    const run = await prune(
      pruning(repository),
      context(
        transport,
        afterPlan(async () => {
          const deleted = await simpleRequest(
            `${backing.url}/v2/${repository}/manifests/${raced?.digest}`,
            { method: 'DELETE' }
          )
          expect(deleted.status).toBe(202)
        })
      )
    )
    expect(run.result.failure).toBeUndefined()
    expect(run.result.outputs).toMatchObject({
      'deleted-count': '1',
      'kept-count': '1',
      'failed-count': '0'
    })
    expect(run.lines.join('\n')).toContain(`${raced?.digest}: gone`)
    expect(run.result.result.verified).toBe(1)
    await expectExactly(repository, [newest as Seeded])
  })

  it('counts a 404 to the delete itself as already gone', async () => {
    const repository = 'midrun/notfound'
    const [newest, raced] = await fixture.series(repository, 3, { newest: ago(DAY) })
    acr.faults.inject({
      method: 'DELETE',
      path: `/v2/${repository}/manifests/${raced?.digest}`,
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }]
      })
    })
    const run = await prune(pruning(repository))
    expect(run.result.failure).toBeUndefined()
    expect(run.result.outputs['failed-count']).toBe('0')
    expect(run.result.outputs['deleted-count']).toBe('1')
    expect(acr.faults.counts().injected['404']).toBe(1)
    // The fault answered for the registry, which kept the manifest: it is left as found.
    await expectExactly(repository, [newest as Seeded, raced as Seeded])
  })

  it('keeps an image that was tagged again since the plan', async () => {
    const repository = 'midrun/retagged'
    const [newest, retagged] = await fixture.series(repository, 2, { newest: ago(DAY) })
    const run = await prune(
      pruning(repository),
      context(
        transport,
        afterPlan(async () => {
          const bytes = (
            await simpleRequest(`${backing.url}/v2/${repository}/manifests/${retagged?.digest}`, {
              headers: { accept: retagged?.mediaType ?? '' }
            })
          ).bytes
          await pushManifest(backing, repository, 'hotfix', bytes, retagged?.mediaType)
        })
      )
    )
    expect(run.plan.find(i => i.digest === retagged?.digest)?.decision).toBe('delete')
    expect(run.result.failure).toBeUndefined()
    expect(run.result.outputs).toMatchObject({ 'deleted-count': '0', 'kept-count': '2' })
    expect(run.lines.join('\n')).toContain('tags changed since the plan')
    const held = await fixture.contents(repository)
    expect(held.tags).toEqual({
      [newest?.tags[0] ?? '']: newest?.digest,
      [retagged?.tags[0] ?? '']: retagged?.digest,
      hotfix: retagged?.digest
    })
  })
})

describe('prune fails closed and item by item', () => {
  it('leaves alone a repository whose index cannot be read, and fails the step', async () => {
    const repository = 'closed/unreadable'
    const index = await fixture.index(repository, { tags: ['v2'], time: ago(DAY) })
    const old = await fixture.series(repository, 2, { newest: ago(5 * DAY) })
    acr.faults.inject({
      method: 'GET',
      path: `/v2/${repository}/manifests/${index.digest}`,
      status: 500,
      times: 50
    })
    const run = await prune(pruning(repository))
    expect(run.result.failure).toContain('failed')
    expect(run.result.outputs).toMatchObject({ 'failed-count': '1', 'deleted-count': '0' })
    expect(run.result.result.skipped).toEqual([
      { repository, reason: expect.stringContaining('500') }
    ])
    expect(run.plan).toEqual([])
    await expectExactly(repository, [index, ...old])
  })

  it('fails the item, and the step, when an index goes but one of its children cannot', async () => {
    const repository = 'closed/child'
    const newest = await fixture.index(repository, { tags: ['v2'], time: ago(DAY) })
    const old = await fixture.index(repository, { tags: ['v1'], time: ago(5 * DAY) })
    const [stuck, other] = old.images as [Seeded, Seeded]
    acr.faults.inject({
      method: 'DELETE',
      path: `/v2/${repository}/manifests/${stuck.digest}`,
      status: 503,
      times: 50
    })
    const run = await prune(pruning(repository))
    expect(run.result.failure).toContain('failed')
    expect(run.result.outputs).toMatchObject({ 'failed-count': '1', 'deleted-count': '0' })
    expect(run.lines.join('\n')).toContain(
      `the index was deleted, but not its child ${stuck.digest}`
    )
    acr.faults.clear()
    const registry = await simpleRequest(
      `${backing.url}/v2/${repository}/manifests/${other.digest}`,
      { method: 'HEAD', headers: { accept: other.mediaType } }
    )
    expect(registry.status).toBe(404)
    // The next prune finds the child untagged and top-level, and takes it.
    const again = await prune(pruning(repository))
    expect(again.result.failure).toBeUndefined()
    await expectExactly(repository, [newest])
  })

  it('with include-locked lifts the locks just before the delete, and restores them when it fails', async () => {
    const repository = 'closed/locked'
    const [newest, locked] = await fixture.series(repository, 2, { newest: ago(DAY) })
    const tag = locked?.tags[0] ?? ''
    await fixture.lock(repository, { tag })
    await fixture.lock(repository, { digest: locked?.digest ?? '' }, { deleteEnabled: false })
    const path = `/v2/${repository}/manifests/${locked?.digest}`
    acr.faults.inject({ method: 'DELETE', path, status: 500, times: 50 })
    const failed = await prune(pruning(repository, { includeLocked: true }))
    expect(failed.result.outputs['failed-count']).toBe('1')
    expect(failed.result.failure).toContain('1 item failed')
    await expectExactly(repository, [newest as Seeded, locked as Seeded])
    const attributes = await lockStates(repository, tag, locked?.digest ?? '')
    expect(attributes.tag).toMatchObject({ writeEnabled: false, deleteEnabled: false })
    expect(attributes.manifest).toMatchObject({ writeEnabled: true, deleteEnabled: false })

    acr.faults.clear()
    acr.clearRequests()
    const done = await prune(pruning(repository, { includeLocked: true }))
    expect(done.result.failure).toBeUndefined()
    expect(done.result.outputs['deleted-count']).toBe('1')
    await expectExactly(repository, [newest as Seeded])
    const order = acr
      .requests()
      .filter(r => r.method !== 'GET' && r.method !== 'POST')
      .map(r => `${r.method} ${decodeURIComponent(r.path)}`)
    expect(order).toEqual([
      `PATCH /acr/v1/${repository}/_tags/${tag}`,
      `PATCH /acr/v1/${repository}/_manifests/${locked?.digest}`,
      `DELETE ${path}`
    ])
  })

  it('stops before any delete when GitHub refuses the token for protect-pr-tags', async () => {
    const repository = 'closed/github'
    const images = await fixture.series(repository, 3, { newest: ago(DAY) })
    const github = await startFakeGithub({ repository: 'owner/app', token: 'right', pulls: [] })
    try {
      await expect(
        prune(
          pruning(repository, { protectPrTags: { template: 'pr-{number}', githubToken: 'wrong' } }),
          context(),
          { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'owner/app' }
        )
      ).rejects.toThrow(/401.*pull-requests: read/)
      expect(github.requests().map(r => r.status)).toEqual([401])
    } finally {
      await github.stop()
    }
    await expectExactly(repository, images)
  })
})

/**
 * Holds requests whose path starts with `held` until some DELETE has been
 * answered, or `maxMs` has passed; the registry still answers every request.
 */
class HeldUntilDelete extends Transport {
  heldOutTheWait = false
  private open!: () => void
  private readonly deleted = new Promise<void>(resolve => (this.open = resolve))

  constructor(
    private readonly held: string,
    private readonly maxMs: number
  ) {
    super({ ca: ca.pem, proxy: {}, retry: { baseDelayMs: 10 } })
  }

  override async send(request: HttpRequest): Promise<HttpResponse> {
    if (decodeURIComponent(new URL(request.url).pathname).startsWith(this.held)) {
      let timer: NodeJS.Timeout | undefined
      const waited = new Promise<boolean>(resolve => {
        timer = setTimeout(() => resolve(true), this.maxMs)
      })
      this.heldOutTheWait ||= await Promise.race([this.deleted.then(() => false), waited])
      clearTimeout(timer)
    }
    const response = await super.send(request)
    if (request.method === 'DELETE' && response.status < 300) this.open()
    return response
  }
}

describe('prune across repositories', () => {
  const glob = (prefix: string): PruneInputs['repositories'] => ({
    kind: 'glob',
    glob: `${prefix}/*`,
    regex: compileRepositoryGlob(`${prefix}/*`)
  })
  const firstDeleteAndLastReferrers = (prefix: string): [number, number] => {
    const log = acr.requests().map(r => `${r.method} ${decodeURIComponent(r.path)}`)
    const firstDelete = log.findIndex(line => line.startsWith(`DELETE /v2/${prefix}/`))
    const referrers = log.map((line, i) => (line.includes('/referrers/') ? i : -1))
    return [firstDelete, Math.max(...referrers)]
  }

  it('starts deleting in one repository while others are still planned, when max-deletions cannot bind', async () => {
    const prefix = 'pipelined'
    const kept = []
    for (let r = 0; r < 6; r++) {
      const images = await fixture.series(`${prefix}/app-${r}`, 3, { newest: ago(DAY) })
      kept.push(images[0] as Seeded)
    }
    // One repository's plan is held until a delete has been answered, so the
    // order below does not hang on how fast this machine plans: a prune that
    // waited for every plan before its first delete would wait out the hold
    // and send the held referrers query first.
    const gated = new HeldUntilDelete(`/v2/${prefix}/app-5/referrers/`, 10_000)
    acr.clearRequests()
    try {
      const run = await prune(
        pruning('', { repositories: glob(prefix), maxDeletions: 12 }),
        context(gated)
      )
      expect(run.result.failure).toBeUndefined()
      expect(run.result.outputs).toMatchObject({ 'deleted-count': '12', 'kept-count': '6' })
    } finally {
      await gated.close()
    }
    expect(gated.heldOutTheWait).toBe(false)
    const [firstDelete, lastReferrers] = firstDeleteAndLastReferrers(prefix)
    expect(firstDelete).toBeGreaterThanOrEqual(0)
    expect(firstDelete).toBeLessThan(lastReferrers)
    for (const image of kept) await expectExactly(image.repository, [image])
  })

  it('plans every repository before any delete when max-deletions may bind, and deletes the oldest', async () => {
    const prefix = 'capped'
    const series = []
    for (let r = 0; r < 6; r++) {
      series.push(await fixture.series(`${prefix}/app-${r}`, 3, { newest: ago(r * DAY + HOUR) }))
    }
    acr.clearRequests()
    const run = await prune(pruning('', { repositories: glob(prefix), maxDeletions: 11 }))
    expect(run.result.outputs).toMatchObject({ 'deleted-count': '11' })
    const [firstDelete, lastReferrers] = firstDeleteAndLastReferrers(prefix)
    expect(firstDelete).toBeGreaterThan(lastReferrers)
    // The one held back is the newest of the twelve that would have gone.
    const heldBack = run.plan.filter(i => i.reason.startsWith('held back'))
    expect(heldBack.map(i => i.digest)).toEqual([series[0]?.[1]?.digest])
  })
})

describe('prune on what looks like an image but is not', () => {
  it('does not rank a tagged OCI referrer as an image, so it pushes no image out', async () => {
    const repository = 'shapes/tagged-referrer'
    const [newest] = await fixture.series(repository, 2, { newest: ago(2 * DAY) })
    const sbom = await fixture.referrer(repository, newest as Seeded, {
      tags: ['sbom'],
      time: ago(DAY)
    })
    const run = await prune(pruning(repository))
    expect(run.plan.find(i => i.digest === newest?.digest)?.decision).toBe('keep')
    expect(run.result.outputs).toMatchObject({ 'deleted-count': '1', 'kept-count': '1' })
    await expectExactly(repository, [newest as Seeded, sbom])
  })
})

describe('prune under ACR write throttling', () => {
  it('waits out each Retry-After, lowers its concurrency, and ends in the planned state', async () => {
    const repository = 'throttle/prune'
    const images = await fixture.series(repository, 7, { newest: ago(DAY) })
    const pauses: number[] = []
    const limits: number[] = []
    // A minute of Retry-After passes at once: the pause moves the emulator's clock.
    const throttled = new Transport({
      ca: ca.pem,
      proxy: {},
      connectionsPerOrigin: 4,
      now: () => Date.now() + skew,
      sleep: async ms => {
        pauses.push(ms)
        skew += ms
      },
      onLimit: (_origin, limit) => void limits.push(limit)
    })
    acr.faults.throttleWrites(2)
    try {
      const run = await prune(pruning(repository, { keepCount: 2 }), context(throttled))
      expect(run.result.failure).toBeUndefined()
      expect(run.result.outputs).toMatchObject({
        'deleted-count': '5',
        'kept-count': '2',
        'failed-count': '0'
      })
      expect(run.result.result.verified).toBe(2)
    } finally {
      acr.faults.throttleWrites(undefined)
      await throttled.close()
    }
    // Each pause is the server's Retry-After: whole seconds, at most a minute.
    expect(pauses.length).toBeGreaterThan(0)
    for (const ms of pauses) {
      expect(ms % 1000).toBe(0)
      expect(ms).toBeLessThanOrEqual(60_000)
    }
    expect(Math.min(...limits)).toBeLessThan(4)
    await expectExactly(repository, images.slice(0, 2))
  })
})

describe('ACR emulator knobs for prune', () => {
  it('answers a throttled write as ACR does: 429, Retry-After, TOOMANYREQUESTS; reads pass', async () => {
    const token = await accessToken('repository:throttle/format:pull,push,delete')
    const write = () =>
      simpleRequest(`${acr.url}/v2/throttle/format/blobs/uploads/`, {
        method: 'POST',
        ca: ca.pem,
        headers: { authorization: `Bearer ${token}` }
      })
    acr.faults.throttleWrites(2)
    // Retry-After counts whole seconds: a stall between the writes must not move it.
    pinned = Date.now()
    try {
      expect((await write()).status).toBe(202)
      expect((await write()).status).toBe(202)
      const refused = await write()
      expect(refused.status).toBe(429)
      expect(Number(refused.headers['retry-after'])).toBe(60)
      expect(refused.headers['content-type']).toMatch(/^application\/json/)
      expect(refused.headers['docker-distribution-api-version']).toBe('registry/2.0')
      expect(refused.headers['x-ms-correlation-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(JSON.parse(refused.body)).toEqual({
        errors: [{ code: 'TOOMANYREQUESTS', message: expect.stringContaining('too many requests') }]
      })
      const read = await simpleRequest(`${acr.url}/v2/`, {
        ca: ca.pem,
        headers: { authorization: `Bearer ${token}` }
      })
      expect(read.status).toBe(200)
      // Retry-After counts down on the emulator's clock, and the window reopens after it.
      skew += 45_000
      expect(Number((await write()).headers['retry-after'])).toBe(15)
      skew += 15_001
      expect((await write()).status).toBe(202)
    } finally {
      pinned = undefined
      acr.faults.throttleWrites(undefined)
    }
  })

  it('holds every answer for the latency set, and answers at once without one', async () => {
    acr.latency(60_000)
    try {
      await expect(simpleRequest(`${acr.url}/v2/`, { ca: ca.pem, timeoutMs: 500 })).rejects.toThrow(
        'no response in time'
      )
    } finally {
      acr.latency(0)
    }
    expect((await simpleRequest(`${acr.url}/v2/`, { ca: ca.pem })).status).toBe(401)
    expect(() => acr.latency(-1)).toThrow(RangeError)
    expect(() => acr.latency(Number.NaN)).toThrow(RangeError)
  })

  it('holds each request until its latency has passed, then hands it on', async () => {
    let open!: () => void
    const slept: number[] = []
    const latency = new Latency(20, ms => {
      slept.push(ms)
      return new Promise<void>(resolve => (open = resolve))
    })
    const handled: string[] = []
    const handler = latency.wrap(async (_req, _res, target) => void handled.push(target.pathname))
    const request = () =>
      handler({} as http.IncomingMessage, {} as http.ServerResponse, {
        pathname: '/v2/',
        query: new URLSearchParams(),
        search: ''
      })
    const answering = request()
    await new Promise(resolve => setImmediate(resolve))
    expect(slept).toEqual([20])
    expect(latency.held()).toBe(1)
    expect(handled).toEqual([])
    open()
    await answering
    expect(handled).toEqual(['/v2/'])
    expect(latency.held()).toBe(0)
    latency.set(0)
    await request()
    expect(slept).toEqual([20])
    expect(handled).toEqual(['/v2/', '/v2/'])
  })

  it('starts with the latency given as an option', async () => {
    const slow = await startAcrEmulator({ ca, registry: backing, latencyMs: 60_000 })
    try {
      await expect(
        simpleRequest(`${slow.url}/v2/`, { ca: ca.pem, timeoutMs: 500 })
      ).rejects.toThrow('no response in time')
      slow.latency(0)
      expect((await simpleRequest(`${slow.url}/v2/`, { ca: ca.pem })).status).toBe(401)
    } finally {
      await slow.stop()
    }
  })
})

async function accessToken(scope: string): Promise<string> {
  const query = new URLSearchParams({ service: acr.service, scope })
  const basic = Buffer.from(`${admin.username}:${admin.password}`).toString('base64')
  const response = await simpleRequest(`${acr.url}/oauth2/token?${query}`, {
    ca: ca.pem,
    headers: { authorization: `Basic ${basic}` }
  })
  return (JSON.parse(response.body) as { access_token: string }).access_token
}

async function lockStates(repository: string, tag: string, digest: string) {
  const token = await accessToken(`repository:${repository}:metadata_read`)
  const read = async (path: string) =>
    JSON.parse(
      (
        await simpleRequest(`${acr.url}/acr/v1/${encodeURIComponent(repository)}${path}`, {
          ca: ca.pem,
          headers: { authorization: `Bearer ${token}` }
        })
      ).body
    ) as Record<string, { changeableAttributes: Record<string, boolean> }>
  return {
    tag: (await read(`/_tags/${tag}`)).tag?.changeableAttributes,
    manifest: (await read(`/_manifests/${digest}`)).manifest?.changeableAttributes
  }
}
