// An Azure Container Registry in front of the real distribution registry:
// ACR's challenge, its Entra-token exchange and refresh-token grant, scope
// enforcement, and the /acr/v1 tag and manifest properties with the times
// ACR keeps. /v2/ goes through to the real registry, streamed both ways.
// Wire formats follow shared/ACR-WIRE-FACTS.md.

import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { Registry } from '../rig/registry.js'
import type { CertificateAuthority } from '../rig/tls.js'
import { bearerToken, readBody, sendJson, startHttpsServer, type EmulatorServer } from './https.js'
import {
  decodeJwt,
  generateSigningKey,
  nowSeconds,
  signJwt,
  verifyJwt,
  type Claims
} from './jwt.js'

export interface AcrOptions {
  ca: CertificateAuthority
  registry: Registry
  /** Checks the Entra token given to /oauth2/exchange; returns who it is, or undefined. */
  verifyEntraToken?: (token: string) => { oid: string; tid: string } | undefined
  refreshTokenLifetimeSeconds?: number
  accessTokenLifetimeSeconds?: number
  /** What a signed-in identity may do; the default is everything. */
  grantedActions?: string[]
  clock?: () => number
}

export interface AcrEmulator {
  url: string
  host: string
  service: string
  issuedTokens(): string[]
  requests(): Array<{ method: string; path: string; status: number }>
  /** Sets the times ACR reports for a tag (and its manifest, when given). */
  setTagTime(repository: string, tag: string, time: Date): void
  stop(): Promise<void>
}

interface Times {
  createdTime: string
  lastUpdateTime: string
}

const allActions = ['pull', 'push', 'delete', 'metadata_read', 'metadata_write']

// ACR writes times with seven fractional digits.
function acrTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z')
}

const commonHeaders = (): Record<string, string> => ({
  'docker-distribution-api-version': 'registry/2.0',
  'access-control-expose-headers':
    'Docker-Content-Digest, WWW-Authenticate, Link, X-Ms-Correlation-Request-Id',
  'x-ms-correlation-request-id': randomUUID(),
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  server: 'openresty'
})

interface Need {
  type: 'repository' | 'registry'
  name: string
  /** What the token must hold. */
  action: string
  /** What the challenge asks for (ACR asks pull,push for writes). */
  challenge: string
}

/** The scope a request needs, or undefined for /v2/ itself (any valid token will do). */
function needOf(method: string, path: string): Need | undefined {
  if (path === '/v2/_catalog' || path === '/acr/v1/_catalog') {
    return { type: 'registry', name: 'catalog', action: '*', challenge: '*' }
  }
  const v2 = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\//.exec(path)
  if (v2) {
    const name = v2[1] ?? ''
    if (method === 'GET' || method === 'HEAD')
      return { type: 'repository', name, action: 'pull', challenge: 'pull' }
    if (method === 'DELETE')
      return { type: 'repository', name, action: 'delete', challenge: 'delete' }
    return { type: 'repository', name, action: 'push', challenge: 'pull,push' }
  }
  const meta = /^\/acr\/v1\/([^/]+)/.exec(path)
  if (meta) {
    const name = decodeURIComponent(meta[1] ?? '')
    const action =
      method === 'PATCH' ? 'metadata_write' : method === 'DELETE' ? 'delete' : 'metadata_read'
    return { type: 'repository', name, action, challenge: action }
  }
  return undefined
}

export async function startAcr(options: AcrOptions): Promise<AcrEmulator> {
  const key = generateSigningKey(`${randomUUID().slice(0, 4).toUpperCase()}:ACR`)
  const clock = options.clock ?? Date.now
  const issued: string[] = []
  const tagTimes = new Map<string, Times>()
  const manifestTimes = new Map<string, Times>()
  const backing = new URL(options.registry.url)
  let host = ''

  const token = (claims: Claims, lifetime: number): string => {
    const now = nowSeconds(clock)
    const value = signJwt(
      {
        jti: randomUUID(),
        nbf: now,
        iat: now,
        exp: now + lifetime,
        iss: 'Azure Container Registry',
        aud: host,
        ...claims
      },
      key
    )
    issued.push(value)
    return value
  }

  const verify = (value: string | undefined, grant: string): Claims | undefined => {
    const claims = value ? verifyJwt(value, key.publicKey) : undefined
    if (!claims || claims.grant_type !== grant || claims.aud !== host) return undefined
    return typeof claims.exp === 'number' && claims.exp >= nowSeconds(clock) ? claims : undefined
  }

  const challenge = (
    res: http.ServerResponse,
    need: Need | undefined,
    insufficient: boolean
  ): void => {
    const scope = need ? `,scope="${need.type}:${need.name}:${need.challenge}"` : ''
    const error = insufficient ? ',error="insufficient_scope"' : ''
    const detail = need
      ? need.challenge
          .split(',')
          .map(action => ({ Type: need.type, Name: need.name, Action: action }))
      : []
    sendJson(
      res,
      401,
      {
        errors: [
          {
            code: 'UNAUTHORIZED',
            message:
              'authentication required, visit https://aka.ms/acr/authorization for more information.',
            detail
          }
        ]
      },
      {
        ...commonHeaders(),
        'www-authenticate': `Bearer realm="https://${host}/oauth2/token",service="${host}"${scope}${error}`
      }
    )
  }

  const granted = (claims: Claims, need: Need): boolean => {
    const access = (claims.access as Array<{ type: string; name: string; actions: string[] }>) ?? []
    return access.some(
      a => a.type === need.type && a.name === need.name && a.actions.includes(need.action)
    )
  }

  const exchange = (res: http.ServerResponse, form: URLSearchParams): void => {
    const entra = form.get('access_token') ?? ''
    const identity = options.verifyEntraToken
      ? options.verifyEntraToken(entra)
      : (() => {
          const claims = decodeJwt(entra)
          return claims ? { oid: String(claims.oid), tid: String(claims.tid) } : undefined
        })()
    if (form.get('grant_type') !== 'access_token' || form.get('service') !== host || !identity) {
      return sendJson(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'invalid Entra access token' }] },
        commonHeaders()
      )
    }
    const refresh = token(
      {
        sub: identity.oid,
        tid: identity.tid,
        version: '1.0',
        grant_type: 'refresh_token',
        permissions: { actions: ['read', 'write', 'delete'], notActions: null },
        roles: []
      },
      options.refreshTokenLifetimeSeconds ?? 11_700
    )
    sendJson(res, 200, { refresh_token: refresh }, commonHeaders())
  }

  const grantAccess = (res: http.ServerResponse, form: URLSearchParams): void => {
    const refresh = verify(form.get('refresh_token') ?? undefined, 'refresh_token')
    if (form.get('grant_type') !== 'refresh_token' || !refresh || form.get('service') !== host) {
      return sendJson(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'invalid refresh token' }] },
        commonHeaders()
      )
    }
    const allowed = options.grantedActions ?? allActions
    const access = form
      .getAll('scope')
      .flatMap(value => value.split(' '))
      .filter(Boolean)
      .map(scope => {
        const split = scope.lastIndexOf(':')
        const [type = '', ...name] = scope.slice(0, split).split(':')
        const actions = scope.slice(split + 1).split(',')
        return {
          type,
          name: name.join(':'),
          actions: actions.filter(a => a === '*' || allowed.includes(a))
        }
      })
    const accessToken = token(
      { sub: refresh.sub, version: '2.0', grant_type: 'access_token', access },
      options.accessTokenLifetimeSeconds ?? 4500
    )
    sendJson(res, 200, { access_token: accessToken }, commonHeaders())
  }

  const upstream = (method: string, path: string, headers: http.OutgoingHttpHeaders = {}) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(
        { host: backing.hostname, port: backing.port, method, path, headers },
        resolve
      )
      request.on('error', reject)
      request.end()
    })

  const manifestDigest = async (
    repository: string,
    reference: string
  ): Promise<string | undefined> => {
    const response = await upstream('HEAD', `/v2/${repository}/manifests/${reference}`, {
      accept:
        'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json'
    })
    response.resume()
    return response.statusCode === 200
      ? String(response.headers['docker-content-digest'])
      : undefined
  }

  const timesOf = (map: Map<string, Times>, id: string): Times => {
    let times = map.get(id)
    if (!times) {
      const now = acrTime(new Date(clock()))
      times = { createdTime: now, lastUpdateTime: now }
      map.set(id, times)
    }
    return times
  }

  const unlocked = { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true }

  const tagProperties = async (repository: string, tag: string) => {
    const digest = await manifestDigest(repository, tag)
    if (!digest) return undefined
    return {
      name: tag,
      digest,
      ...timesOf(tagTimes, `${repository}:${tag}`),
      signed: false,
      changeableAttributes: unlocked
    }
  }

  const metadata = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL
  ): Promise<void> => {
    const [, , , encoded = '', kind, item] = url.pathname.split('/')
    const repository = decodeURIComponent(encoded)
    const headers = commonHeaders()
    const envelope = { registry: host, imageName: repository }
    if (kind === '_tags' && item && req.method === 'GET') {
      const tag = await tagProperties(repository, decodeURIComponent(item))
      if (!tag)
        return sendJson(
          res,
          404,
          { errors: [{ code: 'TAG_UNKNOWN', message: 'the specified tag does not exist' }] },
          headers
        )
      return sendJson(res, 200, { ...envelope, tag }, headers)
    }
    if (kind === '_tags' && !item && req.method === 'GET') {
      const list = await upstream('GET', `/v2/${repository}/tags/list`)
      const body = await new Promise<string>(resolve => {
        let text = ''
        list.on('data', chunk => (text += String(chunk)))
        list.on('end', () => resolve(text))
      })
      if (list.statusCode !== 200) {
        return sendJson(
          res,
          404,
          {
            errors: [
              {
                code: 'NAME_UNKNOWN',
                message: 'repository name not known to registry',
                detail: { name: repository }
              }
            ]
          },
          headers
        )
      }
      const names = ((JSON.parse(body) as { tags?: string[] }).tags ?? []).sort()
      const tags = (await Promise.all(names.map(name => tagProperties(repository, name)))).filter(
        t => t !== undefined
      )
      const order = url.searchParams.get('orderby')
      if (order === 'timedesc')
        tags.sort((a, b) => b.lastUpdateTime.localeCompare(a.lastUpdateTime))
      if (order === 'timeasc') tags.sort((a, b) => a.lastUpdateTime.localeCompare(b.lastUpdateTime))
      return sendJson(res, 200, { ...envelope, tags }, headers)
    }
    if (kind === '_manifests' && item && req.method === 'GET') {
      const digest = decodeURIComponent(item)
      if (!(await manifestDigest(repository, digest))) {
        return sendJson(
          res,
          404,
          { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] },
          headers
        )
      }
      const tags = [...tagTimes.keys()]
        .filter(k => k.startsWith(`${repository}:`))
        .map(k => k.slice(repository.length + 1))
      const pointing = []
      for (const tag of tags)
        if ((await manifestDigest(repository, tag)) === digest) pointing.push(tag)
      return sendJson(
        res,
        200,
        {
          ...envelope,
          manifest: {
            digest,
            imageSize: 0,
            ...timesOf(manifestTimes, `${repository}@${digest}`),
            tags: pointing,
            changeableAttributes: unlocked
          }
        },
        headers
      )
    }
    sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] }, headers)
  }

  const forward = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const headers = { ...req.headers, host: backing.host }
    delete headers.authorization
    const request = http.request(
      { host: backing.hostname, port: backing.port, method: req.method, path: req.url, headers },
      answer => {
        const out: http.OutgoingHttpHeaders = { ...answer.headers, ...commonHeaders() }
        // ACR answers with relative Locations.
        if (typeof out.location === 'string' && out.location.startsWith(options.registry.url)) {
          out.location = out.location.slice(options.registry.url.length)
        }
        res.writeHead(answer.statusCode ?? 502, out)
        answer.pipe(res)
      }
    )
    request.on('error', () => sendJson(res, 502, { errors: [{ code: 'UNAVAILABLE' }] }))
    req.pipe(request)
  }

  const server: EmulatorServer = await startHttpsServer(
    options.ca,
    'acr',
    async (req, res, url) => {
      const method = req.method ?? 'GET'
      if (url.pathname === '/oauth2/exchange' && method === 'POST')
        return exchange(res, new URLSearchParams(await readBody(req)))
      if (url.pathname === '/oauth2/token' && method === 'POST')
        return grantAccess(res, new URLSearchParams(await readBody(req)))
      if (!url.pathname.startsWith('/v2/') && !url.pathname.startsWith('/acr/v1/')) {
        return sendJson(res, 404, { errors: [{ code: 'NOT_FOUND' }] }, commonHeaders())
      }
      const need = needOf(method, url.pathname)
      const presented = bearerToken(req)
      const claims = verify(presented, 'access_token')
      if (!claims) return challenge(res, need, false)
      if (need && !granted(claims, need)) return challenge(res, need, true)
      if (url.pathname.startsWith('/acr/v1/')) return metadata(req, res, url)
      forward(req, res)
    }
  )
  host = server.host

  return {
    url: server.url,
    host: server.host,
    service: server.host,
    issuedTokens: () => [...issued],
    requests: () => [...server.requests],
    setTagTime: (repository, tag, time) => {
      const stamp = acrTime(time)
      tagTimes.set(`${repository}:${tag}`, { createdTime: stamp, lastUpdateTime: stamp })
    },
    stop: () => server.stop()
  }
}
