// The trouble a registry's clients meet on a bad day, all at once and
// replayable from one seed: 5xx answers, 429s with Retry-After, connections
// dropped on arrival and in the middle of a request body, on every endpoint
// the action talks to (token endpoints too). And the checks that what a run
// left behind holds no trace of the failed attempts: every path under a
// folder, the tool cache's entries, the layers a repository links.

import { existsSync } from 'node:fs'
import { lstat, readdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Fault, FaultCounts, RateFault } from '../emulators/acr/faults.js'
import type { Registry } from './registry.js'
import { hashFile } from './tree-snapshot.js'

/** Every endpoint of the login server: the distribution API, the metadata API, the token endpoints. */
export const ALL_ENDPOINTS = /^\/(v2|acr\/v1|oauth2)\//

/**
 * Short, so a run stays quick, and in whole seconds, the form the transport
 * reads (it takes no fractions): `0` asks for a retry at once, `1` for a pause.
 */
export const RETRY_AFTER = { 'retry-after': '1' }
export const RETRY_AT_ONCE = { 'retry-after': '0' }

/** The kinds of trouble every chaos run must meet at least once, as FaultCounts names them. */
export const FAULT_KINDS = ['500', '502', '503', '429', 'reset', 'reset-in-body'] as const

/**
 * 10% 5xx (500, 502, 503 in equal parts); 10% 429 whose Retry-After asks for
 * no pause, which keeps a run quick (each run's scripted 429 asks for a
 * second, so a real pause is honoured too); 1.5% connections dropped on
 * arrival and 1.5% of request bodies cut halfway.
 */
export function chaosRates(path: RegExp = ALL_ENDPOINTS): RateFault[] {
  return [
    { rate: 0.034, status: 500, path },
    { rate: 0.033, status: 502, path },
    { rate: 0.033, status: 503, path },
    { rate: 0.1, status: 429, headers: RETRY_AT_ONCE, path },
    { rate: 0.015, status: 'reset', path },
    { rate: 0.015, status: 'reset-in-body', method: ['PUT', 'PATCH', 'POST'], path }
  ]
}

/** Scripted faults for the first requests that match, so every kind is met whatever the seed draws. */
export interface ScriptedKinds {
  500: Omit<Fault, 'status'>
  502: Omit<Fault, 'status'>
  503: Omit<Fault, 'status'>
  429: Omit<Fault, 'status' | 'headers'>
  reset: Omit<Fault, 'status'>
  'reset-in-body': Omit<Fault, 'status'>
}

export function scriptedFaults(where: ScriptedKinds): Fault[] {
  return FAULT_KINDS.map(kind =>
    kind === '429'
      ? { ...where[429], status: 429, headers: RETRY_AFTER }
      : {
          ...where[kind],
          status: kind === 'reset' || kind === 'reset-in-body' ? kind : Number(kind)
        }
  )
}

/** The kinds a run never met: it must be none, or the run proved nothing. */
export function missingKinds(counts: FaultCounts): string[] {
  return FAULT_KINDS.filter(kind => !((counts.injected[kind] ?? 0) > 0))
}

/** One line for the log: enough to replay the run and to see what it went through. */
export function describeRun(seed: number, what: string, counts: FaultCounts): string {
  const injected = Object.entries(counts.injected)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${kind}×${n}`)
    .join(' ')
  return `chaos seed ${seed}, ${what}: ${counts.drawn} requests drawn, injected ${injected}`
}

/** Every path under `root` (files, links, folders, hidden ones too), `/`-separated; [] when absent. */
export async function pathsUnder(root: string): Promise<string[]> {
  if (!existsSync(root)) return []
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.map(entry => join(entry.parentPath, entry.name).slice(root.length + 1)).sort()
}

export interface CacheContents {
  /** sha256 of every cached blob that has its `.complete` marker, sorted. */
  verified: string[]
  /** Files that are neither a marked blob nor the marker of one. */
  stray: string[]
}

/**
 * What a runner tool cache holds, read the way @actions/tool-cache lays it
 * out: an entry is a folder with one file, made valid by a `<folder>.complete`
 * marker beside it. The digests are computed here, from the bytes.
 */
export async function toolCacheContents(root: string): Promise<CacheContents> {
  const files: string[] = []
  for (const path of await pathsUnder(root)) {
    if ((await lstat(join(root, path))).isDirectory()) continue
    files.push(path)
  }
  const markers = new Set(files.filter(path => path.endsWith('.complete')))
  const blobs = files.filter(path => !markers.has(path))
  const verified: string[] = []
  const stray: string[] = []
  const marked = new Set<string>()
  for (const blob of blobs) {
    const marker = `${dirname(blob)}.complete`
    if (!markers.has(marker)) {
      stray.push(blob)
      continue
    }
    marked.add(marker)
    verified.push(await hashFile(join(root, blob)))
  }
  stray.push(...[...markers].filter(marker => !marked.has(marker)))
  return { verified: verified.sort(), stray: stray.sort() }
}

/**
 * The blobs a repository of the rig's registry links (distribution's
 * `_layers` folder): what a client of that repository can fetch. An upload
 * that broke and was never closed with its digest links nothing.
 */
export async function linkedBlobs(registry: Registry, repository: string): Promise<string[]> {
  const folder = join(
    registry.dir,
    'storage',
    'docker',
    'registry',
    'v2',
    'repositories',
    ...repository.split('/'),
    '_layers',
    'sha256'
  )
  const linked: string[] = []
  for (const hex of existsSync(folder) ? await readdir(folder) : []) {
    const link = join(folder, hex, 'link')
    if (existsSync(link)) linked.push((await readFile(link, 'utf8')).trim())
  }
  return linked.sort()
}
