// Lists that come in pages linked by `Link: <...>; rel="next"` (tags, the
// catalog, referrers, ACR's metadata lists). One loop serves all of them.

import type { RegistryClient } from './client.js'
import { registryError } from './errors.js'
import { nextLink } from './link.js'

export interface PageRequest {
  path: string
  scopes: string[]
  what: string
  headers?: Record<string, string>
  /** Statuses that mean "nothing here" rather than failure; the listing ends empty. */
  emptyOn?: number[]
}

// A registry that links a page to itself, or keeps linking forever, must not hang the job.
const maxPages = 10_000

export async function* pages<T>(client: RegistryClient, request: PageRequest): AsyncGenerator<T> {
  let next: URL | string | undefined = request.path
  for (let page = 0; next !== undefined; page++) {
    if (page >= maxPages) throw new Error(`${request.what}: more than ${maxPages} pages`)
    const response = await client.request({
      method: 'GET',
      path: next,
      scopes: request.scopes,
      headers: { accept: 'application/json', ...request.headers }
    })
    if (request.emptyOn?.includes(response.status)) {
      await response.discard()
      return
    }
    if (response.status !== 200) throw await registryError(response, request.what)
    next = nextLink(response.header('link'), response.url)
    yield await response.json<T>()
  }
}

/** Every item of a listing, for callers that need it whole. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}
