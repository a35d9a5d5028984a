// A folder becomes one layer: its reproducible tar, gzipped the reproducible
// way, written to a file the caller then uploads. The annotations are the
// ones `oras pull` looks for to unpack the layer back into a folder.

import { rm } from 'node:fs/promises'
import { gzipToFile, type GzipResult } from './gzip.js'
import { tarFolder } from './tar-writer.js'

/** Marks a layer as a packed folder that pull unpacks (value `"true"`). */
export const unpackAnnotation = 'io.deis.oras.content.unpack'
/** The digest of the uncompressed tar, which `oras pull` checks after unpacking. */
export const contentDigestAnnotation = 'io.deis.oras.content.digest'

/**
 * Packs `folder` into the tar+gzip file `destination`, entries under `prefix`
 * (the layer's title; default the folder's name). The caller owns the file
 * once this resolves; if it fails, no partial file is left behind.
 */
export async function packFolder(
  folder: string,
  destination: string,
  prefix?: string
): Promise<GzipResult> {
  try {
    return await gzipToFile(tarFolder(folder, prefix), destination)
  } catch (error) {
    await rm(destination, { force: true })
    throw error
  }
}

/** The folder-specific annotations of a layer packed by `packFolder`. */
export function folderLayerAnnotations(packed: GzipResult): Record<string, string> {
  return { [unpackAnnotation]: 'true', [contentDigestAnnotation]: packed.uncompressedDigest }
}
