// A push with Microsoft's @azure/container-registry SDK, as its users write
// one: uploadBlob for every blob, a fixed number at a time, then
// setManifest. The SDK has no call that asks whether a blob exists, so pushed
// again it uploads everything again. Run as `node sdk-client.js job.json`.

import { ContainerRegistryContentClient } from '@azure/container-registry'
import type { AccessToken, TokenCredential } from '@azure/core-auth'
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { mediaTypes } from '../src/registry/media-types.js'
import { eachLimited, exitOnFailure, readJob } from './push-job.js'

async function main(): Promise<void> {
  const job = await readJob()
  if (!job.token || !job.caFile) throw new Error('the SDK job needs a token and a CA file')
  const token: AccessToken = { token: job.token, expiresOnTimestamp: Date.now() + 3_600_000 }
  const credential: TokenCredential = { getToken: async () => token }
  const client = new ContainerRegistryContentClient(job.url, job.repository, credential, {
    tlsOptions: { ca: await readFile(job.caFile, 'utf8') }
  })
  await eachLimited(job.blobs, job.concurrency, async blob => {
    const { digest } = await client.uploadBlob(createReadStream(blob.path))
    if (digest !== blob.digest) throw new Error(`uploaded ${digest}, expected ${blob.digest}`)
  })
  await client.setManifest(await readFile(job.manifest.path), {
    tag: job.tag,
    mediaType: mediaTypes.ociManifest
  })
}

await main().catch(exitOnFailure)
