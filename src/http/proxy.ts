// Which proxy, if any, a request goes through: HTTPS_PROXY / HTTP_PROXY and
// NO_PROXY as curl and the runner read them. undici has an agent that does
// this, but it is marked experimental and prints a warning into every log.

export interface ProxyEnvironment {
  httpsProxy?: string
  httpProxy?: string
  noProxy?: string
}

export function proxyEnvironment(env: NodeJS.ProcessEnv = process.env): ProxyEnvironment {
  return {
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY,
    httpProxy: env.http_proxy ?? env.HTTP_PROXY,
    noProxy: env.no_proxy ?? env.NO_PROXY
  }
}

/** The proxy URL for a request to `target`, or undefined to connect directly. */
export function proxyFor(target: URL, env: ProxyEnvironment): string | undefined {
  const proxy = target.protocol === 'https:' ? (env.httpsProxy ?? env.httpProxy) : env.httpProxy
  if (!proxy) return undefined
  return bypassesProxy(target, env.noProxy) ? undefined : proxy
}

function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false
  const hostname = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  return noProxy
    .split(/[\s,]+/)
    .filter(entry => entry.length > 0)
    .some(entry => matches(entry.toLowerCase(), hostname, port))
}

function matches(entry: string, hostname: string, port: string): boolean {
  if (entry === '*') return true
  let pattern = entry
  const portMatch = /^(.*):(\d+)$/.exec(entry)
  if (portMatch && !entry.startsWith('[') && entry.split(':').length === 2) {
    if (portMatch[2] !== port) return false
    pattern = portMatch[1] ?? ''
  }
  pattern = pattern.replace(/^\[|\]$/g, '').replace(/^\*?\./, '.')
  if (pattern.startsWith('.')) return hostname.endsWith(pattern) || hostname === pattern.slice(1)
  return hostname === pattern || hostname.endsWith(`.${pattern}`)
}
