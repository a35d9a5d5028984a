// The raw limit of a push: the fewest requests a client can make, with
// nothing else in the process. Per blob one POST and one streamed PUT
// `?digest=` (digest known before the run), keep-alive connections, a fixed
// number at a time, then the manifest PUT. Pushed again, it asks only HEAD
// for each blob before the manifest PUT. Run as `node raw-client.js job.json`.

import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { Pool } from 'undici'
import { mediaTypes } from '../src/registry/media-types.js'
import type { BlobFile } from './push-content.js'
import { eachLimited, exitOnFailure, readJob, type PushJob } from './push-job.js'

async function expectStatus(
  what: string,
  response: { statusCode: number; body: { text(): Promise<string> } },
  ...wanted: number[]
): Promise<void> {
  const text = await response.body.text()
  if (!wanted.includes(response.statusCode)) {
    throw new Error(`${what}: ${response.statusCode} ${text.slice(0, 300)}`)
  }
}

async function upload(pool: Pool, origin: string, job: PushJob, blob: BlobFile): Promise<void> {
  const post = await pool.request({ method: 'POST', path: `/v2/${job.repository}/blobs/uploads/` })
  await expectStatus(`POST upload of ${blob.digest}`, post, 202)
  const location = new URL(String(post.headers.location), origin)
  location.searchParams.set('digest', blob.digest)
  const put = await pool.request({
    method: 'PUT',
    path: `${location.pathname}${location.search}`,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body: createReadStream(blob.path, { highWaterMark: 1024 * 1024 })
  })
  await expectStatus(`PUT ${blob.digest}`, put, 201)
}

async function exists(pool: Pool, job: PushJob, blob: BlobFile): Promise<void> {
  const head = await pool.request({
    method: 'HEAD',
    path: `/v2/${job.repository}/blobs/${blob.digest}`
  })
  await expectStatus(`HEAD ${blob.digest}`, head, 200)
}

async function main(): Promise<void> {
  const job = await readJob()
  const origin = new URL(job.url).origin
  const pool = new Pool(origin, { connections: job.concurrency, pipelining: 1 })
  try {
    await eachLimited(job.blobs, job.concurrency, blob =>
      job.again ? exists(pool, job, blob) : upload(pool, origin, job, blob)
    )
    const put = await pool.request({
      method: 'PUT',
      path: `/v2/${job.repository}/manifests/${job.tag}`,
      headers: { 'content-type': mediaTypes.ociManifest },
      body: await readFile(job.manifest.path)
    })
    await expectStatus('PUT manifest', put, 201)
  } finally {
    await pool.close()
  }
}

await main().catch(exitOnFailure)
