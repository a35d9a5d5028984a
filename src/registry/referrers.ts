// Artifacts that refer to a manifest (signatures, SBOMs). Registries without
// the referrers API keep them in an index tagged `<alg>-<hex>` (the OCI
// distribution spec's tag schema), which is the fallback here.

import { repositoryScope } from '../auth/scopes.js'
import type { RegistryClient } from './client.js'
import { RegistryError } from './errors.js'
import { getManifest } from './manifests.js'
import { pages } from './paging.js'
import { isIndex, type Descriptor, type ImageIndex } from './types.js'

export async function listReferrers(
  client: RegistryClient,
  repository: string,
  digest: string,
  artifactType?: string
): Promise<Descriptor[]> {
  const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''
  const found: Descriptor[] = []
  let supported = false
  for await (const page of pages<ImageIndex>(client, {
    path: `/v2/${repository}/referrers/${digest}${query}`,
    scopes: [repositoryScope(repository, 'pull')],
    what: `listing the referrers of ${repository}@${digest}`,
    emptyOn: [404, 405]
  })) {
    supported = true
    found.push(...(page.manifests ?? []))
  }
  const all = supported ? found : await referrersFromTagSchema(client, repository, digest)
  // A registry may ignore the filter; applying it again is harmless.
  return artifactType ? all.filter(d => d.artifactType === artifactType) : all
}

async function referrersFromTagSchema(
  client: RegistryClient,
  repository: string,
  digest: string
): Promise<Descriptor[]> {
  try {
    const { manifest } = await getManifest(client, repository, digest.replace(':', '-'))
    return isIndex(manifest) ? manifest.manifests : []
  } catch (error) {
    if (error instanceof RegistryError && error.notFound) return []
    throw error
  }
}
