// A nightly prune as the "Delete images" example of the @azure/container-
// registry README writes one: every repository, its manifests newest first,
// keep the first `keep`, and for each older one delete each of its tags and
// then the manifest, one call at a time, each awaited (the README leaves the
// tag deletes floating; awaiting them is what a script that checks its work
// must do). Repositories outside the glob are passed over without a request.
// The credential hands out an Entra token obtained before timing.
// Run as `node prune-sdk.js job.json`.

import { ContainerRegistryClient, KnownContainerRegistryAudience } from '@azure/container-registry'
import type { AccessToken, TokenCredential } from '@azure/core-auth'
import { readFile } from 'node:fs/promises'
import { exitOnFailure } from './push-job.js'
import { globPattern, readJob } from './prune-job.js'

async function main(): Promise<void> {
  const job = await readJob()
  const token: AccessToken = { token: job.token, expiresOnTimestamp: Date.now() + 3_600_000 }
  const credential: TokenCredential = { getToken: async () => token }
  const client = new ContainerRegistryClient(job.url, credential, {
    audience: KnownContainerRegistryAudience.AzureResourceManagerPublicCloud,
    tlsOptions: { ca: await readFile(job.caFile, 'utf8') }
  })
  const pattern = globPattern(job.glob)
  let deleted = 0
  for await (const repositoryName of client.listRepositoryNames()) {
    if (!pattern.test(repositoryName)) continue
    const repository = client.getRepository(repositoryName)
    const manifests = repository.listManifestProperties({ order: 'LastUpdatedOnDescending' })
    let imageCount = 0
    for await (const manifest of manifests) {
      imageCount++
      if (imageCount <= job.keep) continue
      const image = repository.getArtifact(manifest.digest)
      for (const tagName of manifest.tags) await image.deleteTag(tagName)
      await image.delete()
      deleted++
    }
  }
  console.log(`${deleted} images deleted`)
}

await main().catch(exitOnFailure)
