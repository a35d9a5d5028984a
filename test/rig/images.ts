import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, normalize } from 'node:path'
import { makeTempDir, removeTempDir } from './cleanup.js'
import { run } from './exec.js'
import { OCI_INDEX, findDescriptor, tagDescriptor, writeBlob, type Descriptor } from './layout.js'
import type { Registry } from './registry.js'

export interface BuildOptions {
  /** The OCI layout folder; created if it holds no layout yet, shared by several tags if it does. */
  dir: string
  /** File contents by path inside the image, e.g. `{ 'etc/motd': 'hi' }`: one layer. */
  files: Record<string, string>
  /** Tag inside the layout; default `latest`. */
  tag?: string
  arch?: string
  os?: string
  annotations?: Record<string, string>
}

export interface PushOptions {
  /**
   * Convert on the way, e.g. `v2s2` for a Docker schema 2 manifest. Without it
   * the manifest is pushed byte for byte, so its digest is the layout's.
   */
  format?: 'oci' | 'v2s2'
}

export interface PlatformSpec {
  os: string
  arch: string
}

export interface PushedIndex {
  digest: string
  children: Array<PlatformSpec & { digest: string }>
}

export interface Inspected {
  /** sha256 of the manifest bytes the registry serves. */
  digest: string
  /** The parsed manifest or index. */
  raw: unknown
}

// umoci chowns what it unpacks; a non-root user needs its rootless mode.
const ROOTLESS = process.getuid?.() === 0 ? [] : ['--rootless']

/**
 * Builds a single-layer image with umoci and returns `layout:tag`. Timestamps
 * make every build's digest unique, even with equal files.
 */
export async function buildImage(options: BuildOptions): Promise<string> {
  const layoutRef = `${options.dir}:${options.tag ?? 'latest'}`
  if (!existsSync(join(options.dir, 'oci-layout'))) {
    await run('umoci', ['init', '--layout', options.dir])
  }
  await run('umoci', ['new', '--image', layoutRef])
  const annotations = Object.entries(options.annotations ?? {}).flatMap(([key, value]) => [
    '--manifest.annotation',
    `${key}=${value}`
  ])
  await run('umoci', [
    'config',
    '--image',
    layoutRef,
    '--architecture',
    options.arch ?? 'amd64',
    '--os',
    options.os ?? 'linux',
    ...annotations
  ])
  // Not `umoci insert`: 0.4.7 leaves out the tar end-of-archive blocks
  // (umoci#436), so GNU tar and Python reject its layers. repack writes whole tars.
  const work = await makeTempDir('bundle')
  try {
    const bundle = join(work, 'bundle')
    await run('umoci', ['unpack', ...ROOTLESS, '--image', layoutRef, bundle])
    await writeFiles(join(bundle, 'rootfs'), options.files)
    await run('umoci', ['repack', '--image', layoutRef, bundle])
  } finally {
    await removeTempDir(work)
  }
  // Drops the blobs that new, config and repack superseded.
  await run('umoci', ['gc', '--layout', options.dir])
  return layoutRef
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const relative = normalize(path).replace(/^\/+/, '')
    if (relative === '' || relative.startsWith('..')) throw new Error(`bad image path ${path}`)
    const target = join(root, relative)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, content)
  }
}

/** Copies `layout:tag` to `repo:tag` in the registry; returns the pushed manifest's digest. */
export async function pushImage(
  registry: Registry,
  layoutRef: string,
  dest: string,
  options: PushOptions = {}
): Promise<string> {
  // --preserve-digests makes skopeo fail rather than silently rewrite a manifest.
  const conversion = options.format ? ['--format', options.format] : ['--preserve-digests']
  return copyToRegistry(registry, layoutRef, dest, conversion)
}

/**
 * Pushes a multi-platform OCI index: one image per platform, each with a
 * `platform` file naming it. Returns the index digest and the images' digests.
 */
export async function pushIndex(
  registry: Registry,
  dest: string,
  platforms: PlatformSpec[]
): Promise<PushedIndex> {
  const work = await makeTempDir('index')
  try {
    const layout = join(work, 'layout')
    const manifests: Descriptor[] = []
    const children: PushedIndex['children'] = []
    for (const [i, { os, arch }] of platforms.entries()) {
      const files = { platform: `${os}/${arch}\n` }
      const imageRef = await buildImage({ dir: layout, tag: `platform-${i}`, files, os, arch })
      const image = await findDescriptor(imageRef)
      manifests.push({ ...image, platform: { architecture: arch, os } })
      children.push({ os, arch, digest: image.digest })
    }
    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests }
    const indexBlob = await writeBlob(layout, OCI_INDEX, JSON.stringify(index))
    const indexRef = await tagDescriptor(layout, 'index', indexBlob)
    const digest = await copyToRegistry(registry, indexRef, dest, ['--all', '--preserve-digests'])
    return { digest, children }
  } finally {
    await removeTempDir(work)
  }
}

async function copyToRegistry(
  registry: Registry,
  layoutRef: string,
  dest: string,
  extraArgs: string[]
): Promise<string> {
  const work = await makeTempDir('copy')
  try {
    const digestFile = join(work, 'digest')
    await run('skopeo', [
      // The rig must not depend on the host's /etc/containers/policy.json.
      '--insecure-policy',
      'copy',
      '--quiet',
      ...extraArgs,
      ...registryFlags(registry, 'dest-'),
      '--digestfile',
      digestFile,
      `oci:${layoutRef}`,
      `docker://${registry.host}/${dest}`
    ])
    return (await readFile(digestFile, 'utf8')).trim()
  } finally {
    await removeTempDir(work)
  }
}

/**
 * What skopeo, a client independent of the action, reads at `ref` (`repo:tag`
 * or `repo@digest`). The digest is computed here from the served bytes, as a
 * registry does, so it also works for indexes with no image for this host.
 */
export async function skopeoInspect(registry: Registry, ref: string): Promise<Inspected> {
  const raw = await run('skopeo', [
    'inspect',
    '--raw',
    ...registryFlags(registry, ''),
    `docker://${registry.host}/${ref}`
  ])
  const digest = `sha256:${createHash('sha256').update(raw, 'utf8').digest('hex')}`
  return { digest, raw: JSON.parse(raw) }
}

/** Flags that let skopeo reach `registry`: TLS trust (or plain HTTP) and credentials. */
export function registryFlags(registry: Registry, prefix: '' | 'src-' | 'dest-'): string[] {
  const tls = registry.certDir
    ? [`--${prefix}cert-dir=${registry.certDir}`, `--${prefix}tls-verify=true`]
    : [`--${prefix}tls-verify=false`]
  // --no-creds keeps credentials stored for other tests' registries out of the way.
  const creds = registry.auth
    ? [`--${prefix}creds=${registry.auth.username}:${registry.auth.password}`]
    : [`--${prefix}no-creds`]
  return [...tls, ...creds]
}
