// The upload building blocks of push against the real distribution registry
// and the ACR emulator in front of it: an upload that starts before its
// digest is known, dropped when the registry turns out to have the blob, and
// whole uploads started again in a new session after a failed PUT or PATCH.
// Every blob is read back with node's own client and hashed here.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { once } from 'node:events'
import { Authorizer } from '../../src/auth/authorizer.js'
import type { Credentials } from '../../src/auth/credentials.js'
import { Transport, type RetryEvent } from '../../src/http/transport.js'
import { BlobPresence } from '../../src/registry/blob-presence.js'
import { headBlob, openBlob, uploadBlob, type BlobSource } from '../../src/registry/blobs.js'
import { RegistryClient } from '../../src/registry/client.js'
import { putManifest } from '../../src/registry/manifests.js'
import { noHint, tagHint } from '../../src/operations/push/tag-hint.js'
import { holdUpTo, uploadLayers } from '../../src/operations/push/upload-layers.js'
import { FileChangedError } from '../../src/content/file-changed.js'
import { TransferProgress } from '../../src/report/progress.js'
import type { Logger } from '../../src/operations/context.js'
import { uploadWhileHashing, type UnhashedSource } from '../../src/registry/streamed-upload.js'
import { startAcrEmulator, type AcrEmulator } from '../../test/emulators/acr/index.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { startRegistry, type AccessLogEntry, type Registry } from '../../test/rig/registry.js'

const MiB = 1024 * 1024
const admin = { username: 'pushadmin', password: 'push-Password-1' }

let dir: string
let registry: Registry
let acr: AcrEmulator
const transports: Transport[] = []
const retries: RetryEvent[] = []

beforeAll(async () => {
  dir = await makeTempDir('pushblocks')
  registry = await startRegistry()
  acr = await startAcrEmulator({ registry, users: [admin] })
})

afterAll(async () => {
  await Promise.all(transports.map(t => t.close()))
  await acr?.stop()
  await registry?.stop()
  await removeTempDir(dir)
})

function clientFor(url: string, credentials: Credentials, ca?: string): RegistryClient {
  const transport = new Transport({
    ca,
    proxy: {},
    retry: { attempts: 3, baseDelayMs: 10 },
    onRetry: event => retries.push(event)
  })
  transports.push(transport)
  const authorizer = new Authorizer({ transport, credentials, mask: () => undefined })
  return new RegistryClient(url, transport, authorizer)
}

/** Writes `size` random bytes to a new file, hashing them on the way; nothing is held whole. */
async function randomFile(name: string, size: number): Promise<{ path: string; digest: string }> {
  const path = join(dir, name)
  const out = createWriteStream(path)
  const hash = createHash('sha256')
  for (let written = 0; written < size; written += MiB) {
    const chunk = randomBytes(Math.min(MiB, size - written))
    hash.update(chunk)
    if (!out.write(chunk)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'close')
  return { path, digest: `sha256:${hash.digest('hex')}` }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return `sha256:${hash.digest('hex')}`
}

function unhashed(path: string, size: number, digest = hashFile(path)): UnhashedSource {
  return { size, open: () => createReadStream(path), digest }
}

function fileBlob(path: string, size: number, digest: string): BlobSource {
  return {
    digest,
    size,
    open: range => createReadStream(path, range ?? {})
  }
}

/** GETs a blob straight from the distribution registry with node's client and hashes it. */
function fetchDigest(
  repository: string,
  digest: string
): Promise<{ digest: string; size: number }> {
  return new Promise((resolve, reject) => {
    const url = `${registry.url}/v2/${repository}/blobs/${digest}`
    http
      .get(url, { agent: false, headers: { 'user-agent': 'push-blocks-check' } }, res => {
        if (res.statusCode !== 200) {
          res.resume()
          reject(new Error(`GET ${url}: ${res.statusCode}`))
          return
        }
        const hash = createHash('sha256')
        let size = 0
        res.on('data', (chunk: Buffer) => {
          hash.update(chunk)
          size += chunk.length
        })
        res.on('error', reject)
        res.on('end', () => resolve({ digest: `sha256:${hash.digest('hex')}`, size }))
      })
      .on('error', reject)
  })
}

const ours = (entries: AccessLogEntry[], repository: string): AccessLogEntry[] =>
  entries.filter(e => e.userAgent.startsWith('acr-action') && e.path.includes(`/${repository}/`))

const isFinalPut = (e: AccessLogEntry): boolean =>
  e.method === 'PUT' && e.path.includes('/blobs/uploads/') && e.path.includes('digest=')

describe('uploadWhileHashing on the distribution registry', () => {
  const repository = 'blocks/streamed'
  const size = 20 * MiB
  let client: RegistryClient
  let file: { path: string; digest: string }

  beforeAll(async () => {
    client = clientFor(registry.url, { kind: 'anonymous' })
    file = await randomFile('streamed.bin', size)
  })

  it('uploads a new blob while it is hashed, in one PATCH and one PUT', async () => {
    const before = (await registry.requests()).length
    const result = await uploadWhileHashing(client, repository, unhashed(file.path, size), 0)
    expect(result).toEqual({ digest: file.digest, outcome: 'uploaded' })

    expect(await headBlob(client, repository, file.digest)).toBe(size)
    expect(await fetchDigest(repository, file.digest)).toEqual({ digest: file.digest, size })

    const sent = ours((await registry.requests()).slice(before), repository)
    expect(sent.filter(e => e.method === 'PATCH').map(e => e.status)).toEqual([202])
    expect(sent.filter(isFinalPut).map(e => e.status)).toEqual([201])
  })

  it('sends a blob that hashes within the head start the plain way: HEAD, then one PUT, no PATCH', async () => {
    const small = await randomFile('head-start.bin', MiB)
    const before = (await registry.requests()).length
    const result = await uploadWhileHashing(client, repository, unhashed(small.path, MiB))
    expect(result).toEqual({ digest: small.digest, outcome: 'uploaded' })
    const sent = ours((await registry.requests()).slice(before), repository)
    expect(sent.filter(e => e.method === 'PATCH')).toEqual([])
    expect(sent.filter(isFinalPut).map(e => e.status)).toEqual([201])
    expect(await fetchDigest(repository, small.digest)).toEqual({ digest: small.digest, size: MiB })
  })

  it('drops the session of a blob the registry has, sending no PUT ?digest=', async () => {
    const before = (await registry.requests()).length
    const result = await uploadWhileHashing(client, repository, unhashed(file.path, size), 0)
    expect(result).toEqual({ digest: file.digest, outcome: 'exists' })

    const sent = ours((await registry.requests()).slice(before), repository)
    expect(sent.filter(isFinalPut)).toEqual([])
    const sessions = sent.filter(e => e.method === 'POST')
    expect(sessions.map(e => e.status)).toEqual([202])
    const patches = sent.filter(e => e.method === 'PATCH')
    expect(patches.length).toBeLessThanOrEqual(1)
    // Abandoned: cut off before the registry took it all, or taken and then deleted.
    for (const patch of patches) {
      const session = patch.path.split('?')[0]
      const deleted = sent.some(e => e.method === 'DELETE' && e.path.split('?')[0] === session)
      expect(patch.status !== 202 || deleted).toBe(true)
    }
    expect(await fetchDigest(repository, file.digest)).toEqual({ digest: file.digest, size })
  })

  it('fails with the error of a digest that could not be worked out, and stores nothing', async () => {
    const other = await randomFile('unhashable.bin', 2 * MiB)
    const failure = new Error('reading the file for its digest failed')
    let fail!: (error: unknown) => void
    const digest = new Promise<string>((_resolve, reject) => (fail = reject))
    digest.catch(() => undefined)
    const before = (await registry.requests()).length
    const upload = uploadWhileHashing(client, repository, unhashed(other.path, 2 * MiB, digest), 0)
    setTimeout(() => fail(failure), 20)
    await expect(upload).rejects.toBe(failure)

    const sent = ours((await registry.requests()).slice(before), repository)
    expect(sent.filter(isFinalPut)).toEqual([])
    expect(await headBlob(client, repository, other.digest)).toBeUndefined()
  })
})

describe('whole uploads started again through the ACR emulator', () => {
  const size = 3 * MiB
  let client: RegistryClient

  beforeAll(() => {
    client = clientFor(acr.url, { kind: 'basic', ...admin }, acr.caPem)
  })

  // The emulator logs a request once its response is flushed, which can trail the client.
  const logSettled = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 50))

  function sessionsOf(repository: string) {
    const uploads = acr
      .requests()
      .filter(r => r.path.startsWith(`/v2/${repository}/blobs/uploads/`))
    return {
      posts: uploads.filter(r => r.method === 'POST'),
      puts: uploads.filter(r => r.method === 'PUT'),
      patches: uploads.filter(r => r.method === 'PATCH')
    }
  }

  it('starts a new session after a 500 on the PUT, ending with the right blob', async () => {
    const repository = 'blocks/put-fault'
    const file = await randomFile('put-fault.bin', size)
    acr.faults.clear()
    acr.clearRequests()
    retries.length = 0
    acr.faults.inject({
      method: 'PUT',
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      status: 500,
      times: 1
    })
    const outcome = await uploadBlob(client, repository, fileBlob(file.path, size, file.digest))
    expect(outcome).toBe('uploaded')
    await logSettled()

    const { posts, puts } = sessionsOf(repository)
    expect(posts.map(r => r.status)).toEqual([202, 202])
    expect(puts.map(r => r.status)).toEqual([500, 201])
    expect(puts[0]!.path).not.toBe(puts[1]!.path)
    expect(retries.filter(e => e.method === 'PUT')).toHaveLength(1)

    expect(await headBlob(client, repository, file.digest)).toBe(size)
    expect(await fetchDigest(repository, file.digest)).toEqual({ digest: file.digest, size })
    const back = createHash('sha256')
    for await (const chunk of await openBlob(client, repository, file.digest, size)) {
      back.update(chunk as Buffer)
    }
    expect(`sha256:${back.digest('hex')}`).toBe(file.digest)
  })

  it('starts a new session after a connection reset on a PATCH, ending with the right blob', async () => {
    const repository = 'blocks/patch-fault'
    const file = await randomFile('patch-fault.bin', size)
    acr.faults.clear()
    acr.clearRequests()
    acr.faults.inject({
      method: 'PATCH',
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      status: 'reset',
      times: 1
    })
    const outcome = await uploadBlob(client, repository, fileBlob(file.path, size, file.digest), {
      chunkSize: MiB
    })
    expect(outcome).toBe('uploaded')
    await logSettled()

    const { posts, puts, patches } = sessionsOf(repository)
    expect(posts.map(r => r.status)).toEqual([202, 202])
    // The dropped PATCH is logged unanswered; the new session sends all three chunks.
    expect(patches.map(r => r.status)).toEqual([0, 202, 202, 202])
    expect(puts.map(r => r.status)).toEqual([201])

    expect(await headBlob(client, repository, file.digest)).toBe(size)
    expect(await fetchDigest(repository, file.digest)).toEqual({ digest: file.digest, size })
  })

  it('starts the streamed upload again when its PATCH is reset', async () => {
    const repository = 'blocks/streamed-fault'
    const file = await randomFile('streamed-fault.bin', size)
    acr.faults.clear()
    acr.clearRequests()
    acr.faults.inject({
      method: 'PATCH',
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      status: 'reset',
      times: 1
    })
    const result = await uploadWhileHashing(client, repository, unhashed(file.path, size), 0)
    expect(result).toEqual({ digest: file.digest, outcome: 'uploaded' })
    expect(await fetchDigest(repository, file.digest)).toEqual({ digest: file.digest, size })
  })

  it("gives an upload that keeps failing up after the policy's attempts", async () => {
    const repository = 'blocks/put-refused'
    const file = await randomFile('put-refused.bin', 256 * 1024)
    acr.faults.clear()
    acr.clearRequests()
    acr.faults.inject({
      method: 'PUT',
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      status: 500,
      times: 1000
    })
    try {
      const blob = fileBlob(file.path, 256 * 1024, file.digest)
      await expect(uploadBlob(client, repository, blob)).rejects.toThrow()
      await logSettled()
      // The client's policy: three attempts in all, each a new session.
      const { posts, puts } = sessionsOf(repository)
      expect(posts).toHaveLength(3)
      expect(puts).toHaveLength(3)
    } finally {
      acr.faults.clear()
    }
  })

  it("gives a streamed upload that keeps failing up after the policy's attempts", async () => {
    const repository = 'blocks/streamed-refused'
    const file = await randomFile('streamed-refused.bin', 256 * 1024)
    acr.faults.clear()
    acr.clearRequests()
    acr.faults.inject({
      method: 'PUT',
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      status: 500,
      times: 1000
    })
    try {
      const source = unhashed(file.path, 256 * 1024)
      await expect(uploadWhileHashing(client, repository, source, 0)).rejects.toThrow()
      await logSettled()
      // Three attempts in all, as for any other exchange: not three of three.
      expect(sessionsOf(repository).posts.length).toBeLessThanOrEqual(3)
    } finally {
      acr.faults.clear()
    }
  })
})

describe('asking whether blobs are there, with what the push has learnt', () => {
  const repository = 'blocks/presence'
  const count = 12
  let client: RegistryClient
  let files: { path: string; digest: string }[]

  beforeAll(async () => {
    client = clientFor(registry.url, { kind: 'anonymous' })
    files = []
    for (let i = 0; i < count; i++) files.push(await randomFile(`presence-${i}.bin`, 64 * 1024))
  })

  const blobs = (): BlobSource[] => files.map(f => fileBlob(f.path, 64 * 1024, f.digest))
  const isMount = (e: AccessLogEntry): boolean => e.method === 'POST' && e.path.includes('mount=')

  /** Uploads every blob in turn, sharing one BlobPresence as a push does. */
  async function uploadAll(): Promise<string[]> {
    const presence = new BlobPresence()
    const outcomes: string[] = []
    for (const blob of blobs())
      outcomes.push(await uploadBlob(client, repository, blob, { presence }))
    return outcomes
  }

  it('stops sending HEADs once most blobs are missing, and uploads each in two requests', async () => {
    const before = (await registry.requests()).length
    expect(await uploadAll()).toEqual(new Array(count).fill('uploaded'))

    const sent = ours((await registry.requests()).slice(before), repository)
    // Four HEADs before the switch, then one blob in eight still asked with a HEAD.
    expect(sent.filter(e => e.method === 'HEAD').map(e => e.status)).toEqual(new Array(5).fill(404))
    expect(sent.filter(isMount).map(e => e.status)).toEqual(new Array(count - 5).fill(202))
    expect(sent.filter(isFinalPut)).toHaveLength(count)
    expect(sent).toHaveLength(5 + 2 * count)
    for (const file of files) {
      expect(await fetchDigest(repository, file.digest)).toEqual({
        digest: file.digest,
        size: 64 * 1024
      })
    }
  })

  it('asks with HEADs only, a read each, when the blobs are there', async () => {
    const before = (await registry.requests()).length
    expect(await uploadAll()).toEqual(new Array(count).fill('exists'))
    const sent = ours((await registry.requests()).slice(before), repository)
    expect(sent.map(e => `${e.method} ${e.status}`)).toEqual(new Array(count).fill('HEAD 200'))
  })

  it('finds a blob that is there through the mount, sending no data', async () => {
    const presence = new BlobPresence()
    for (let i = 0; i < 4; i++) presence.record(false)
    const before = (await registry.requests()).length
    expect(await uploadBlob(client, repository, blobs()[0]!, { presence })).toBe('exists')
    const sent = ours((await registry.requests()).slice(before), repository)
    expect(sent.map(e => `${e.method} ${e.status}`)).toEqual(['POST 201'])
  })

  it('mounts from the same repository through the ACR emulator', async () => {
    const acrClient = clientFor(acr.url, { kind: 'basic', ...admin }, acr.caPem)
    const file = await randomFile('presence-acr.bin', 64 * 1024)
    const repo = 'blocks/presence-acr'
    const presence = new BlobPresence()
    for (let i = 0; i < 4; i++) presence.record(false)
    const blob = fileBlob(file.path, 64 * 1024, file.digest)
    expect(await uploadBlob(acrClient, repo, blob, { presence })).toBe('uploaded')
    await new Promise(resolve => setTimeout(resolve, 50))
    acr.clearRequests()
    expect(await uploadBlob(acrClient, repo, blob, { presence })).toBe('exists')
    await new Promise(resolve => setTimeout(resolve, 50))
    const second = acr.requests().filter(r => r.path.startsWith(`/v2/${repo}/`) && r.status !== 401)
    expect(second.map(r => `${r.method} ${r.status}`)).toEqual(['POST 201'])
    expect(await fetchDigest(repo, file.digest)).toEqual({ digest: file.digest, size: 64 * 1024 })
  })

  it('uploads the plain way, and asks with HEADs from then on, when a registry refuses the mount', async () => {
    const acrClient = clientFor(acr.url, { kind: 'basic', ...admin }, acr.caPem)
    const file = await randomFile('presence-refused.bin', 64 * 1024)
    const repo = 'blocks/presence-refused'
    const presence = new BlobPresence()
    for (let i = 0; i < 4; i++) presence.record(false)
    acr.faults.clear()
    acr.clearRequests()
    acr.faults.inject({
      method: 'POST',
      // The first POST is the mount: the faults see paths without their queries.
      path: `/v2/${repo}/blobs/uploads/`,
      status: 404,
      times: 1
    })
    try {
      const blob = fileBlob(file.path, 64 * 1024, file.digest)
      expect(await uploadBlob(acrClient, repo, blob, { presence })).toBe('uploaded')
      await new Promise(resolve => setTimeout(resolve, 50))
      // Refused once, not retried: a HEAD, then the plain upload (sign-in challenges aside).
      const sent = acr.requests().filter(r => r.path.startsWith(`/v2/${repo}/`) && r.status !== 401)
      expect(sent.map(r => `${r.method} ${r.status}`)).toEqual([
        'POST 404',
        'HEAD 404',
        'POST 202',
        'PUT 201'
      ])
      expect(presence.ask(64 * 1024)).toBe('head')
      expect(await fetchDigest(repo, file.digest)).toEqual({ digest: file.digest, size: 64 * 1024 })
    } finally {
      acr.faults.clear()
    }
  })
})

describe('the tag hint for large files', () => {
  const repository = 'blocks/hint'
  let client: RegistryClient

  beforeAll(async () => {
    client = clientFor(registry.url, { kind: 'anonymous' })
    const layer = await randomFile('hint.bin', 128 * 1024)
    const config = Buffer.from('{}')
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`
    await uploadBlob(client, repository, fileBlob(layer.path, 128 * 1024, layer.digest))
    await uploadBlob(client, repository, {
      digest: configDigest,
      size: 2,
      open: () => Readable.from([config])
    })
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: configDigest, size: 2 },
      layers: [
        {
          mediaType: 'application/octet-stream',
          digest: layer.digest,
          size: 128 * 1024,
          annotations: { 'org.opencontainers.image.title': 'dist/app.bin' }
        }
      ]
    }
    await putManifest(
      client,
      repository,
      'v1',
      Buffer.from(JSON.stringify(manifest)),
      manifest.mediaType
    )
  })

  it('judges a file likely unchanged when the tag has a layer of its title and size', async () => {
    const likely = await tagHint(client, repository, ['v1'])
    expect(likely('dist/app.bin', 128 * 1024)).toBe(true)
    expect(likely('dist/app.bin', 128 * 1024 + 1)).toBe(false)
    expect(likely('dist/other.bin', 128 * 1024)).toBe(false)
  })

  it('goes by the first of the tags that is there', async () => {
    const likely = await tagHint(client, repository, ['new-tag', 'v1'])
    expect(likely('dist/app.bin', 128 * 1024)).toBe(true)
  })

  it('gives no hint for tags that are not there, or no tag', async () => {
    expect((await tagHint(client, repository, ['v2']))('dist/app.bin', 128 * 1024)).toBe(false)
    expect((await tagHint(client, 'blocks/none', ['v1']))('dist/app.bin', 128 * 1024)).toBe(false)
    expect((await tagHint(client, repository, []))('dist/app.bin', 128 * 1024)).toBe(false)
  })

  it('gives no hint, and no error, for a manifest that lists no layers', async () => {
    const config = Buffer.from('{}')
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`
    const bare = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: configDigest, size: 2 }
    }
    await putManifest(client, repository, 'bare', Buffer.from(JSON.stringify(bare)), bare.mediaType)
    const likely = await tagHint(client, repository, ['bare', 'v1'])
    expect(likely('dist/app.bin', 128 * 1024)).toBe(false)
  })
})

describe('small files held in memory', () => {
  const repository = 'blocks/held'
  let client: RegistryClient
  const log: Logger = { info: () => undefined, warning: () => undefined, debug: () => undefined }

  beforeAll(() => {
    client = clientFor(registry.url, { kind: 'anonymous' })
  })

  function context(concurrency: number) {
    return {
      client,
      repository,
      concurrency,
      tempDir: dir,
      progress: new TransferProgress({ label: 'push', total: 0, log }),
      presence: new BlobPresence(),
      likelyUnchanged: noHint
    }
  }

  it('sends a file read once, the bytes the registry stores being the file', async () => {
    const file = await randomFile('held.bin', 300 * 1024)
    const ctx = context(8)
    const [sent] = await uploadLayers(
      [{ kind: 'file', path: file.path, title: 'held.bin', size: 300 * 1024 }],
      ctx
    )
    ctx.progress.stop()
    expect(sent!.descriptor.digest).toBe(file.digest)
    expect(sent!.status).toBe('uploaded')
    expect(await fetchDigest(repository, file.digest)).toEqual({
      digest: file.digest,
      size: 300 * 1024
    })
  })

  it('refuses a file that grew since the plan, without sending it', async () => {
    const file = await randomFile('grown.bin', 200 * 1024)
    const before = (await registry.requests()).length
    const ctx = context(8)
    await expect(
      uploadLayers([{ kind: 'file', path: file.path, title: 'grown.bin', size: 100 * 1024 }], ctx)
    ).rejects.toBeInstanceOf(FileChangedError)
    ctx.progress.stop()
    const sent = ours((await registry.requests()).slice(before), repository)
    expect(sent.filter(isFinalPut)).toEqual([])
  })

  it('holds at most 32 MiB at once, whatever the concurrency', () => {
    expect(holdUpTo(1)).toBe(4 * MiB)
    expect(holdUpTo(8)).toBe(4 * MiB)
    expect(holdUpTo(64)).toBe(512 * 1024)
    for (const c of [1, 8, 16, 64]) expect(holdUpTo(c) * c).toBeLessThanOrEqual(32 * MiB)
  })
})
