// The raw limit of a prune: the fewest requests that do the job, with nothing
// else in the process. It lists the catalog and each matching repository's
// manifests newest first (pages of 1,000, following Link), then sends one
// manifest DELETE per image beyond the newest `keep`, a fixed number at a
// time over keep-alive connections, with a token obtained before timing. A
// 429 waits out its Retry-After and repeats only that request.
// Run as `node prune-raw.js job.json`.

import { setTimeout as sleep } from 'node:timers/promises'
import { readFile } from 'node:fs/promises'
import { Pool, type Dispatcher } from 'undici'
import { eachLimited, exitOnFailure } from './push-job.js'
import { globPattern, readJob } from './prune-job.js'

const PAGE = 1000
// A run under a throttle meets a few 429s an image at most; this many means the registry never lets up.
const MAX_ATTEMPTS = 50

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

type Send = (method: Dispatcher.HttpMethod, path: string) => Promise<Answer>

/** Waits as long as a 429's Retry-After says: seconds, or an HTTP date. */
function retryDelayMs(value: string | string[] | undefined): number {
  const text = String(value ?? '1')
  const seconds = Number(text)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(text)
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now())
}

function sender(pool: Pool, token: string): Send {
  return async (method, path) => {
    for (let attempt = 1; ; attempt++) {
      const response = await pool.request({
        method,
        path,
        headers: { authorization: `Bearer ${token}` }
      })
      const text = await response.body.text()
      if (response.statusCode !== 429 || attempt >= MAX_ATTEMPTS) {
        return { status: response.statusCode, headers: response.headers, text }
      }
      await sleep(retryDelayMs(response.headers['retry-after']))
    }
  }
}

/** Every item of a paged /acr/v1 list, following `Link: <…>; rel="next"`. */
async function listAll<T>(send: Send, first: string, items: (body: unknown) => T[]): Promise<T[]> {
  const all: T[] = []
  let path: string | undefined = first
  while (path !== undefined) {
    const answer = await send('GET', path)
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.text}`)
    all.push(...items(JSON.parse(answer.text)))
    const link = String(answer.headers.link ?? '')
    path = /<([^>]+)>;\s*rel="?next"?/.exec(link)?.[1]
  }
  return all
}

async function main(): Promise<void> {
  const job = await readJob()
  const pool = new Pool(job.url, {
    connections: job.concurrency,
    pipelining: 1,
    connect: { ca: await readFile(job.caFile, 'utf8') }
  })
  try {
    const send = sender(pool, job.token)
    const pattern = globPattern(job.glob)
    const names = await listAll(
      send,
      `/acr/v1/_catalog?n=${PAGE}`,
      body => (body as { repositories?: string[] }).repositories ?? []
    )
    const repositories = names.filter(name => pattern.test(name))
    const doomed: Array<{ repository: string; digest: string }> = []
    await eachLimited(repositories, job.concurrency, async repository => {
      const digests = await listAll(
        send,
        `/acr/v1/${repository}/_manifests?orderby=timedesc&n=${PAGE}`,
        body =>
          ((body as { manifests?: Array<{ digest: string }> }).manifests ?? []).map(m => m.digest)
      )
      for (const digest of digests.slice(job.keep)) doomed.push({ repository, digest })
    })
    await eachLimited(doomed, job.concurrency, async ({ repository, digest }) => {
      const answer = await send('DELETE', `/v2/${repository}/manifests/${digest}`)
      // 404: someone else deleted it first, which leaves the same end state.
      if (answer.status !== 202 && answer.status !== 404) {
        throw new Error(
          `DELETE ${repository}@${digest}: ${answer.status} ${answer.text.slice(0, 300)}`
        )
      }
    })
    console.log(`${repositories.length} repositories, ${doomed.length} images deleted`)
  } finally {
    await pool.close()
  }
}

await main().catch(exitOnFailure)
