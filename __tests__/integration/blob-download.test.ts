// downloadBlob with the hash on a worker thread (every blob here, where the
// action keeps it for large ones): against the real registry a blob lands
// whole and verified, a blob tampered with in storage leaves nothing behind,
// and through the ACR emulator's storage redirect a connection cut mid-body
// resumes with a Range request while the worker hashes on from the file.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Authorizer } from '../../src/auth/authorizer.js'
import { DigestMismatchError } from '../../src/content/digest.js'
import { Transport } from '../../src/http/transport.js'
import { downloadBlob } from '../../src/registry/blob-download.js'
import { RegistryClient } from '../../src/registry/client.js'
import { startAcrEmulator, type AcrEmulator } from '../../test/emulators/acr/index.js'
import { pushBlob, sha256 } from '../../test/rig/craft-artifact.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'
import { startCuttingProxy } from '../../test/rig/cutting-proxy.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'

const admin = { username: 'downloader', password: 'download-Password-1' }
const onWorker = { hashOnWorkerFrom: 0 }

let registry: Registry
let acr: AcrEmulator
let dir: string
const transports: Transport[] = []

beforeAll(async () => {
  registry = await startRegistry()
  acr = await startAcrEmulator({ registry, users: [admin] })
  dir = await makeTempDir('blob-download')
})

afterAll(async () => {
  await Promise.all(transports.map(t => t.close()))
  await acr?.stop()
  await registry?.stop()
  await removeTempDir(dir)
})

function clientFor(url: string, options: ConstructorParameters<typeof Transport>[0] = {}) {
  const transport = new Transport({ proxy: {}, retry: { baseDelayMs: 10 }, ...options })
  transports.push(transport)
  const credentials =
    url === registry.url ? { kind: 'anonymous' as const } : { kind: 'basic' as const, ...admin }
  const authorizer = new Authorizer({ transport, credentials, mask: () => undefined })
  return new RegistryClient(url, transport, authorizer)
}

function storedBlob(digest: string): string {
  const hex = digest.slice('sha256:'.length)
  const root = join(registry.dir, 'storage', 'docker', 'registry', 'v2')
  return join(root, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data')
}

describe('downloadBlob hashing on a worker thread', () => {
  it('writes the blob whole, verified, to every destination', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    const digest = await pushBlob(registry, 'download/whole', bytes)
    const targets = [join(dir, 'whole-a'), join(dir, 'whole-b')]
    await downloadBlob(
      clientFor(registry.url),
      'download/whole',
      { digest, size: bytes.length },
      targets,
      onWorker
    )
    for (const target of targets) expect(sha256(await readFile(target))).toBe(digest)
  })

  it('refuses a blob tampered with in storage and leaves no file, partial or whole', async () => {
    const bytes = randomBytes(2 * 1024 * 1024)
    const digest = await pushBlob(registry, 'download/tampered', bytes)
    const tampered = Buffer.from(bytes)
    tampered[12_345] = (tampered[12_345] ?? 0) ^ 0x01
    await writeFile(storedBlob(digest), tampered)
    const folder = join(dir, 'tampered')
    await mkdir(folder)
    const error = await downloadBlob(
      clientFor(registry.url),
      'download/tampered',
      { digest, size: bytes.length },
      join(folder, 'blob'),
      onWorker
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DigestMismatchError)
    expect((error as Error).message).toContain(sha256(tampered))
    expect(await readdir(folder)).toEqual([])
  })

  it('resumes a cut download with a Range request, the worker hashing on from the file', async () => {
    const bytes = randomBytes(6 * 1024 * 1024)
    const digest = await pushBlob(registry, 'download/resumed', bytes)
    const proxy = await startCuttingProxy({
      cutHost: new URL(acr.storageUrl).host,
      afterBytes: 2 * 1024 * 1024 + 4321
    })
    try {
      acr.clearRequests()
      const target = join(dir, 'resumed')
      await downloadBlob(
        clientFor(acr.url, { ca: acr.caPem, proxy: { httpsProxy: proxy.url } }),
        'download/resumed',
        { digest, size: bytes.length },
        target,
        onWorker
      )
      expect(proxy.cuts()).toBe(1)
      expect(acr.storageRequests().map(r => r.status)).toContain(206)
      expect(sha256(await readFile(target))).toBe(digest)
    } finally {
      await proxy.stop()
    }
  })
})
