// The slice of GitHub's REST API that protect-pr-tags reads: the pull
// requests of one repository, `GET /repos/{owner}/{repo}/pulls?state=`, paged
// as GitHub pages (`per_page`, `page`, and a `Link` header with rel="next"
// and rel="last"), behind a bearer token. A loopback HTTP server, so the
// action under test reaches it as GITHUB_API_URL and nothing leaves the host.

import http from 'node:http'
import { closeServer, listenOnLoopback } from './loopback-server.js'

export interface PullRequest {
  number: number
  state: 'open' | 'closed'
}

export interface FakeGithubOptions {
  /** `owner/name`, the GITHUB_REPOSITORY it answers for. */
  repository: string
  token: string
  pulls: PullRequest[]
  /** The largest page it serves whatever `per_page` asks (GitHub's is 100); small to force paging. */
  maxPerPage?: number
}

export interface GithubRequest {
  method: string
  path: string
  query: Record<string, string>
  /** The Authorization header as sent. */
  authorization?: string
  status: number
}

export interface FakeGithub {
  /** `http://127.0.0.1:PORT`, for GITHUB_API_URL. */
  url: string
  requests(): GithubRequest[]
  stop(): Promise<void>
}

export async function startFakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const log: GithubRequest[] = []
  let url = ''
  const server = http.createServer((req, res) => {
    const target = new URL(req.url ?? '/', url)
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.push({
        method: req.method ?? '',
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        status
      })
      const text = JSON.stringify(body)
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
        'x-github-api-version-selected': '2022-11-28',
        ...headers
      })
      res.end(text)
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return reply(401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest'
      })
    }
    if (req.method !== 'GET' || target.pathname !== `/repos/${options.repository}/pulls`) {
      return reply(404, { message: 'Not Found' })
    }
    const state = target.searchParams.get('state') ?? 'open'
    const matching = options.pulls.filter(p => state === 'all' || p.state === state)
    const perPage = Math.min(
      Number(target.searchParams.get('per_page') ?? 30) || 30,
      options.maxPerPage ?? 100
    )
    const page = Math.max(1, Number(target.searchParams.get('page') ?? 1) || 1)
    const last = Math.max(1, Math.ceil(matching.length / perPage))
    const items = matching.slice((page - 1) * perPage, page * perPage)
    const link = (n: number, rel: string): string => {
      const next = new URL(target)
      next.searchParams.set('page', String(n))
      return `<${next.href}>; rel="${rel}"`
    }
    const links = [
      ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
      ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : [])
    ]
    reply(
      200,
      items.map(p => ({
        number: p.number,
        state: p.state,
        title: `pull request ${p.number}`,
        head: { ref: `feature-${p.number}` }
      })),
      links.length > 0 ? { link: links.join(', ') } : {}
    )
  })
  url = await listenOnLoopback(server)
  return {
    url,
    requests: () => log.map(entry => ({ ...entry })),
    stop: () => closeServer(server)
  }
}
