// The open pull requests of the workflow's repository, for protect-pr-tags:
// GET $GITHUB_API_URL/repos/$GITHUB_REPOSITORY/pulls?state=open, every page,
// through the action's one transport (its proxies, retries and CA trust).

import type { Transport } from '../../http/transport.js'
import { nextLink } from '../../registry/link.js'

export class GithubApiError extends Error {
  override readonly name = 'GithubApiError'
}

export async function openPullRequests(
  transport: Transport,
  token: string,
  env: NodeJS.ProcessEnv
): Promise<number[]> {
  const api = env.GITHUB_API_URL || 'https://api.github.com'
  const repository = env.GITHUB_REPOSITORY
  if (!repository) {
    throw new GithubApiError(
      'protect-pr-tags needs GITHUB_REPOSITORY (owner/name), which the runner sets'
    )
  }
  const numbers: number[] = []
  let url: URL | undefined = new URL(
    `${api.replace(/\/$/, '')}/repos/${repository}/pulls?state=open&per_page=100`
  )
  for (let page = 0; url !== undefined && page < 1000; page++) {
    const response = await transport.send({
      method: 'GET',
      url,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'x-github-api-version': '2022-11-28'
      }
    })
    if (response.status !== 200) {
      const text = (await response.text()).slice(0, 200)
      throw new GithubApiError(
        `listing the open pull requests of ${repository}: ${response.status} ${text}; protect-pr-tags needs a github-token that may read pull requests (permissions: pull-requests: read)`
      )
    }
    const pulls = await response.json<Array<{ number?: unknown }>>()
    for (const pull of pulls) if (typeof pull.number === 'number') numbers.push(pull.number)
    url = nextLink(response.header('link'), url)
  }
  return numbers
}

/** A matcher for tags made from `template` by an open pull request's number. */
export function pullRequestTags(
  template: string,
  numbers: number[]
): (tag: string) => string | undefined {
  const escape = (text: string): string =>
    text.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '[A-Za-z0-9_.-]*')
  const pattern = new RegExp(`^${template.split('{number}').map(escape).join('(\\d+)')}$`)
  const open = new Set(numbers)
  return tag => {
    const match = pattern.exec(tag)
    if (!match) return undefined
    // Every {number} in the template must be the same open pull request.
    const found = match.slice(1).map(Number)
    const first = found[0]
    return first !== undefined && found.every(n => n === first) && open.has(first)
      ? `#${first}`
      : undefined
  }
}
