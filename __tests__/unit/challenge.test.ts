import { describe, expect, it } from '@jest/globals'
import { parseChallenges, pickChallenge } from '../../src/auth/challenge.js'
import { mergeScopes } from '../../src/auth/scopes.js'
import { nextLink } from '../../src/registry/link.js'

describe('WWW-Authenticate', () => {
  it("parses ACR's challenge, with commas inside the quoted scope", () => {
    const header =
      'Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io",scope="repository:oci-artifact:pull,push"'
    expect(parseChallenges(header)).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://r.azurecr.io/oauth2/token',
          service: 'r.azurecr.io',
          scope: 'repository:oci-artifact:pull,push'
        }
      }
    ])
  })

  it('reads the error of an insufficient-scope challenge', () => {
    const [challenge] = parseChallenges(
      'Bearer realm="https://r/oauth2/token",service="r",scope="repository:a:metadata_write",error="insufficient_scope"'
    )
    expect(challenge?.params.error).toBe('insufficient_scope')
  })

  it('parses several challenges and prefers Bearer', () => {
    const challenges = parseChallenges(
      'Basic realm="Registry Realm", Bearer realm="https://t/token"'
    )
    expect(challenges.map(c => c.scheme)).toEqual(['basic', 'bearer'])
    expect(pickChallenge(challenges)?.scheme).toBe('bearer')
  })

  it('parses a Basic challenge alone and tolerates spaces around =', () => {
    expect(parseChallenges('Basic realm = "Registry Realm"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } }
    ])
    expect(parseChallenges(undefined)).toEqual([])
  })
})

describe('scopes', () => {
  it('merges actions per resource and splits space-separated values', () => {
    expect(
      mergeScopes(['repository:a:pull'], 'repository:a:push registry:catalog:*', [
        'repository:b:pull'
      ])
    ).toEqual(['registry:catalog:*', 'repository:a:pull,push', 'repository:b:pull'])
  })
})

describe('Link paging', () => {
  const base = new URL('https://r.azurecr.io/acr/v1/_catalog?n=1')

  it('follows the next link exactly as given, relative to the request', () => {
    const link = '</acr/v1/_catalog?last=library%2Fbusybox&n=1&orderby=>; rel="next"'
    expect(nextLink(link, base)?.toString()).toBe(
      'https://r.azurecr.io/acr/v1/_catalog?last=library%2Fbusybox&n=1&orderby='
    )
  })

  it('keeps an opaque last value untouched', () => {
    const link = '</acr/v1/charts/my-app/_tags?last=1%262.71.7&n=100&orderby=timedesc>; rel="next"'
    expect(nextLink(link, base)?.search).toBe('?last=1%262.71.7&n=100&orderby=timedesc')
  })

  it('picks next among several relations and ends without one', () => {
    expect(nextLink('</a>; rel="prev", </b?x=1>; rel="next"', base)?.pathname).toBe('/b')
    expect(nextLink('</a>; rel="prev"', base)).toBeUndefined()
    expect(nextLink(undefined, base)).toBeUndefined()
  })
})
