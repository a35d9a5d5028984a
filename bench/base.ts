// The building blocks' figures, against the real registry on loopback:
// monolithic and chunked upload, verified download (each with the memory it
// takes) and the inspect step's time from process start to exit.

import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Authorizer } from '../src/auth/authorizer.js'
import { Transport } from '../src/http/transport.js'
import { openBlob, uploadBlob, type BlobSource } from '../src/registry/blobs.js'
import { RegistryClient } from '../src/registry/client.js'
import { runAction } from '../test/action/run-action.js'
import { buildImage, pushImage } from '../test/rig/images.js'
import { startRegistry } from '../test/rig/registry.js'
import type { Figures } from './figures.js'

const blobMiB = Number(process.env.BENCH_BLOB_MIB ?? 512)

async function fileSource(dir: string, mib: number): Promise<BlobSource> {
  const path = join(dir, 'blob')
  const chunk = randomBytes(1024 * 1024)
  const hash = createHash('sha256')
  const out = createWriteStream(path)
  for (let i = 0; i < mib; i++) {
    // Vary each MiB so the registry cannot deduplicate anything.
    const part = Buffer.concat([
      chunk.subarray(0, chunk.length - 4),
      Buffer.from(Uint32Array.of(i).buffer)
    ])
    hash.update(part)
    if (!out.write(part)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return {
    digest: `sha256:${hash.digest('hex')}`,
    size: mib * 1024 * 1024,
    open: range => createReadStream(path, range)
  }
}

/** How far the process's resident memory rose above where it stood when the task began, in MiB. */
async function memoryGrowthDuring(task: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage.rss()
  let peak = start
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10)
  try {
    await task()
  } finally {
    clearInterval(timer)
  }
  return (peak - start) / 2 ** 20
}

/** The transfer and step-time figures of the action's building blocks. */
export async function baseFigures(figures: Figures): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'acr-bench-'))
  const registry = await startRegistry()
  const transport = new Transport()
  const client = new RegistryClient(
    registry.url,
    transport,
    new Authorizer({ transport, credentials: { kind: 'anonymous' }, mask: () => undefined })
  )
  try {
    const blob = await fileSource(work, blobMiB)

    let started = performance.now()
    const uploadGrowth = await memoryGrowthDuring(async () => {
      await uploadBlob(client, 'bench/app', blob)
    })
    const uploadSeconds = (performance.now() - started) / 1000
    figures.record(
      'monolithic upload',
      blobMiB / uploadSeconds,
      'MiB/s',
      '>= 100',
      blobMiB / uploadSeconds >= 100
    )
    figures.record('memory growth during upload', uploadGrowth, 'MiB', '<= 64', uploadGrowth <= 64)

    const chunked = await fileSource(work, Math.min(blobMiB, 256))
    started = performance.now()
    await uploadBlob(client, 'bench/chunked', chunked, { chunkSize: 64 * 1024 * 1024 })
    const chunkedMiB = chunked.size / 2 ** 20
    const chunkedSeconds = (performance.now() - started) / 1000
    figures.record(
      'chunked upload (64 MiB chunks)',
      chunkedMiB / chunkedSeconds,
      'MiB/s',
      '>= 50',
      chunkedMiB / chunkedSeconds >= 50
    )

    started = performance.now()
    const downloadGrowth = await memoryGrowthDuring(async () => {
      const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
      await pipeline(await openBlob(client, 'bench/app', blob.digest, blob.size), sink)
    })
    const downloadSeconds = (performance.now() - started) / 1000
    figures.record(
      'verified download',
      blobMiB / downloadSeconds,
      'MiB/s',
      '>= 100',
      blobMiB / downloadSeconds >= 100
    )
    figures.record(
      'memory growth during download',
      downloadGrowth,
      'MiB',
      '<= 64',
      downloadGrowth <= 64
    )

    const layout = await buildImage({ dir: join(work, 'layout'), files: { f: 'bench' } })
    await pushImage(registry, layout, 'bench/image:v1')
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const t = performance.now()
      const run = await runAction({
        operation: 'inspect',
        registry: registry.url,
        repository: 'bench/image',
        tag: 'v1'
      })
      if (run.exitCode !== 0) throw new Error(`inspect failed: ${run.errors.join(' ')}`)
      times.push(performance.now() - t)
    }
    const median = times.sort((a, b) => a - b)[2] ?? 0
    figures.record(
      'inspect step, process start to exit (median of 5)',
      median,
      'ms',
      '<= 1500',
      median <= 1500
    )
  } finally {
    await transport.close()
    await registry.stop()
    await rm(work, { recursive: true, force: true })
  }
}
