// A client that exits 0 but left the registry without its content must not
// look fast: after a client's first run, the registry is asked for the tag
// and for every file's blob, with the file's size.

import { request } from 'undici'
import { mediaTypes } from '../src/registry/media-types.js'
import type { PushContent } from './push-content.js'

/** What the registry lacks of `content` at `repository:tag`, or undefined when it has it all. */
export async function verifyPushed(
  registryUrl: string,
  repository: string,
  tag: string,
  content: PushContent
): Promise<string | undefined> {
  const manifest = await request(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: [mediaTypes.ociManifest, mediaTypes.dockerManifest].join(', ') }
  })
  await manifest.body.dump()
  if (manifest.statusCode !== 200) return `the registry has no ${repository}:${tag}`
  for (const layer of content.layers) {
    const blob = await request(`${registryUrl}/v2/${repository}/blobs/${layer.digest}`, {
      method: 'HEAD'
    })
    await blob.body.dump()
    const size = Number(blob.headers['content-length'])
    if (blob.statusCode !== 200 || size !== layer.size) {
      return `${repository} lacks ${layer.title} as a layer of its exact bytes (${layer.digest}): HEAD ${blob.statusCode}`
    }
  }
  return undefined
}
