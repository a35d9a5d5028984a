// The raw limit of a pull: the least a client must do to pull an artifact's
// files and trust them, with nothing else in the process. One manifest GET,
// then one GET per layer over keep-alive connections, a fixed number at a
// time, largest first; each body streams to its file while it is hashed, and
// a file whose digest or size is wrong fails the run. It trusts the titles
// (the bench made them), which a real client must not. Run as
// `node pull-raw-client.js job.json`.

import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Pool } from 'undici'
import { mediaTypes } from '../src/registry/media-types.js'
import { eachLimited, exitOnFailure } from './push-job.js'
import { readPullJob, type PullJob } from './pull-job.js'

interface Layer {
  digest: string
  size: number
  annotations?: Record<string, string>
}

const TITLE = 'org.opencontainers.image.title'

async function layersOf(pool: Pool, job: PullJob): Promise<Layer[]> {
  const response = await pool.request({
    method: 'GET',
    path: `/v2/${job.repository}/manifests/${job.tag}`,
    headers: { accept: mediaTypes.ociManifest }
  })
  const text = await response.body.text()
  if (response.statusCode !== 200) throw new Error(`GET manifest: ${response.statusCode} ${text}`)
  return (JSON.parse(text) as { layers: Layer[] }).layers
}

async function download(pool: Pool, job: PullJob, layer: Layer): Promise<void> {
  const title = layer.annotations?.[TITLE]
  if (!title) throw new Error(`layer ${layer.digest} has no title`)
  const response = await pool.request({
    method: 'GET',
    path: `/v2/${job.repository}/blobs/${layer.digest}`
  })
  if (response.statusCode !== 200) {
    throw new Error(`GET ${layer.digest}: ${response.statusCode} ${await response.body.text()}`)
  }
  const hash = createHash('sha256')
  let size = 0
  await pipeline(
    response.body,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk)
        size += chunk.length
        yield chunk
      }
    },
    createWriteStream(join(job.out, title))
  )
  const actual = `sha256:${hash.digest('hex')}`
  if (actual !== layer.digest || size !== layer.size) {
    throw new Error(`${title}: got ${size} bytes hashing to ${actual}, not ${layer.digest}`)
  }
}

async function main(): Promise<void> {
  const job = await readPullJob()
  const pool = new Pool(new URL(job.url).origin, { connections: job.concurrency, pipelining: 1 })
  try {
    const layers = (await layersOf(pool, job)).sort((a, b) => b.size - a.size)
    await eachLimited(layers, job.concurrency, layer => download(pool, job, layer))
  } finally {
    await pool.close()
  }
}

await main().catch(exitOnFailure)
