import { describe, expect, it } from '@jest/globals'
import { proxyEnvironment, proxyFor } from '../../src/http/proxy.js'

const proxy = 'http://proxy.internal:3128'

describe('proxy selection', () => {
  it('uses HTTPS_PROXY for https and HTTP_PROXY for http', () => {
    const env = { httpsProxy: proxy, httpProxy: 'http://plain:8080' }
    expect(proxyFor(new URL('https://r.azurecr.io/v2/'), env)).toBe(proxy)
    expect(proxyFor(new URL('http://r.example/v2/'), env)).toBe('http://plain:8080')
  })

  it('connects directly without proxy variables', () => {
    expect(proxyFor(new URL('https://r.azurecr.io/v2/'), {})).toBeUndefined()
  })

  it.each([
    ['r.azurecr.io', 'https://r.azurecr.io/'],
    ['.azurecr.io', 'https://r.azurecr.io/'],
    ['azurecr.io', 'https://r.azurecr.io/'],
    ['*.azurecr.io', 'https://r.azurecr.io/'],
    ['localhost,127.0.0.1', 'http://127.0.0.1:5000/'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000/'],
    ['[::1]', 'http://[::1]:5000/'],
    ['*', 'https://anything.example/']
  ])('NO_PROXY=%s bypasses the proxy for %s', (noProxy, url) => {
    expect(proxyFor(new URL(url), { httpsProxy: proxy, httpProxy: proxy, noProxy })).toBeUndefined()
  })

  it.each([
    ['azurecr.io', 'https://notazurecr.io/'],
    ['127.0.0.1:5001', 'http://127.0.0.1:5000/'],
    ['other.example', 'https://r.azurecr.io/']
  ])('NO_PROXY=%s keeps the proxy for %s', (noProxy, url) => {
    expect(proxyFor(new URL(url), { httpsProxy: proxy, httpProxy: proxy, noProxy })).toBe(proxy)
  })

  it('reads lower-case variables before upper-case ones, as curl does', () => {
    const env = proxyEnvironment({
      https_proxy: 'http://lower:1',
      HTTPS_PROXY: 'http://upper:2',
      NO_PROXY: 'x'
    })
    expect(env).toEqual({ httpsProxy: 'http://lower:1', httpProxy: undefined, noProxy: 'x' })
  })
})
