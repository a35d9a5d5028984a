// An Azure Container Registry in front of the real distribution registry:
// ACR's challenge, its Entra-token exchange and refresh-token grant, scope
// enforcement, and the /acr/v1 tag and manifest properties with the times
// ACR keeps. /v2/ goes through to the real registry, streamed both ways.
// Wire formats follow shared/ACR-WIRE-FACTS.md.

import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { Registry } from '../rig/registry.js'
import type { CertificateAuthority } from '../rig/tls.js'
import { Backing } from './acr-backing.js'
import { handleMetadata } from './acr-metadata.js'
import { acrTime, AcrState } from './acr-state.js'
import { startBlobStorage } from './blob-storage.js'
import {
  bearerToken,
  readBody,
  readForm,
  sendJson,
  startHttpsServer,
  type HttpsServer,
  type LoggedRequest
} from './https-server.js'
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
  /** The admin user and repository-scoped tokens: Basic credentials at GET /oauth2/token. */
  users?: Array<{ username: string; password: string }>
  /** Anonymous pull: tokens that may pull and read metadata, for no credentials. */
  anonymousPull?: boolean
  clock?: () => number
}

export interface Fault {
  method?: string
  path?: RegExp
  /** An HTTP answer, or 'reset' to drop the connection unanswered. */
  status: number | 'reset'
  headers?: Record<string, string>
  body?: string
  /** How many matching requests it hits. */
  times: number
}

export interface AcrEmulator {
  url: string
  host: string
  service: string
  storageUrl: string
  state: AcrState
  issuedTokens(): string[]
  requests(): LoggedRequest[]
  storageRequests(): LoggedRequest[]
  /** Sets the times ACR reports for a tag and its manifest. */
  setTagTime(repository: string, tag: string, time: Date): Promise<void>
  injectFault(fault: Fault): void
  /** Answers 429 once more write operations than this arrive within a minute. */
  throttleWrites(perMinute: number): void
  stop(): Promise<void>
}

const allActions = ['pull', 'push', 'delete', 'metadata_read', 'metadata_write']

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
    // The SDK percent-encodes the repository in /v2/ paths (library%2Fhello); ACR takes both.
    const name = decodeURIComponent(v2[1] ?? '')
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
  const state = new AcrState(clock)
  const backing = new Backing(options.registry, state)
  const storage = await startBlobStorage(options.ca, options.registry, clock)
  const faults: Fault[] = []
  const writes: number[] = []
  let writeLimit = Infinity
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

  const refuseToken = (res: http.ServerResponse, message: string): void =>
    sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message }] }, commonHeaders())

  // An access token for the scopes asked, holding only the actions `allowed`.
  const sendAccess = (
    res: http.ServerResponse,
    scopes: string[],
    sub: string,
    allowed: string[]
  ): void => {
    const access = scopes
      .flatMap(value => value.split(' '))
      .filter(Boolean)
      .map(scope => {
        const split = scope.lastIndexOf(':')
        const [type = '', ...name] = scope.slice(0, split).split(':')
        const actions = scope.slice(split + 1).split(',')
        const wildcard = type === 'registry' && allowed.includes('pull')
        return {
          type,
          name: name.join(':'),
          actions: actions.filter(a => (a === '*' && wildcard) || allowed.includes(a))
        }
      })
    const accessToken = token(
      { sub, version: '2.0', grant_type: 'access_token', access },
      options.accessTokenLifetimeSeconds ?? 4500
    )
    sendJson(res, 200, { access_token: accessToken }, commonHeaders())
  }

  const anonymousActions = ['pull', 'metadata_read']

  const userOf = (authorization: string | undefined): { username: string } | undefined => {
    if (!authorization?.startsWith('Basic ')) return undefined
    const [username, ...rest] = Buffer.from(authorization.slice(6), 'base64').toString().split(':')
    const password = rest.join(':')
    return options.users?.find(u => u.username === username && u.password === password)
  }

  // POST: the refresh-token grant, or the password grant with an empty refresh token (anonymous).
  const grantAccess = (res: http.ServerResponse, form: URLSearchParams): void => {
    if (form.get('service') !== host) return refuseToken(res, 'unknown service')
    if (
      form.get('grant_type') === 'password' &&
      !form.get('refresh_token') &&
      !form.get('username')
    ) {
      if (!options.anonymousPull) return refuseToken(res, 'anonymous access is not enabled')
      return sendAccess(res, form.getAll('scope'), '', anonymousActions)
    }
    const refresh = verify(form.get('refresh_token') ?? undefined, 'refresh_token')
    if (form.get('grant_type') !== 'refresh_token' || !refresh)
      return refuseToken(res, 'invalid refresh token')
    sendAccess(res, form.getAll('scope'), String(refresh.sub), options.grantedActions ?? allActions)
  }

  // GET: docker-style, with Basic credentials (admin user, repository-scoped tokens) or none.
  const grantByGet = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    if (url.searchParams.get('service') !== host) return refuseToken(res, 'unknown service')
    const user = userOf(req.headers.authorization)
    if (user) return sendAccess(res, url.searchParams.getAll('scope'), user.username, allActions)
    if (req.headers.authorization === undefined && options.anonymousPull) {
      return sendAccess(res, url.searchParams.getAll('scope'), '', anonymousActions)
    }
    refuseToken(res, 'authentication required')
  }

  const disallowed = (res: http.ServerResponse): void =>
    sendJson(
      res,
      405,
      {
        errors: [
          {
            code: 'REGISTRY_DISALLOWED_OPERATION',
            detail: {},
            message:
              'The operation is disallowed on this registry, repository or image. View troubleshooting steps at https://aka.ms/acr/faq/#why-does-my-pull-or-push-request-fail-with-disallowed-operation'
          }
        ]
      },
      commonHeaders()
    )

  // Faults and the write throttle come before everything, as a proxy's would.
  const interfere = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean => {
    const method = req.method ?? 'GET'
    const fault = faults.find(
      f =>
        f.times > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(url.pathname))
    )
    if (fault) {
      fault.times--
      if (fault.status === 'reset') req.socket.destroy()
      else {
        res.writeHead(fault.status, { ...commonHeaders(), ...fault.headers })
        res.end(fault.body ?? '')
      }
      return true
    }
    const isWrite =
      ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) && !url.pathname.startsWith('/oauth2/')
    if (isWrite) {
      const now = clock()
      while (writes.length > 0 && (writes[0] ?? 0) < now - 60_000) writes.shift()
      if (writes.length >= writeLimit) {
        const retryAfter = Math.max(1, Math.ceil(((writes[0] ?? now) + 60_000 - now) / 1000))
        sendJson(
          res,
          429,
          { errors: [{ code: 'TOOMANYREQUESTS', message: 'too many requests' }] },
          {
            ...commonHeaders(),
            'retry-after': String(retryAfter)
          }
        )
        return true
      }
      writes.push(now)
    }
    return false
  }

  const v2 = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL
  ): Promise<void> => {
    const method = req.method ?? 'GET'
    const match = /^\/v2\/(.+?)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname)
    const [, rawRepository = '', kind, rawReference = ''] = match ?? []
    const repository = decodeURIComponent(rawRepository)
    const reference = decodeURIComponent(rawReference)
    if (kind === 'blobs' && method === 'GET' && reference.startsWith('sha256:')) {
      const location = storage.signedUrl(repository, reference)
      res.writeHead(307, {
        ...commonHeaders(),
        'content-type': 'text/html; charset=utf-8',
        'docker-content-digest': reference,
        location
      })
      return void res.end(`<a href="${location.replace(/&/g, '&amp;')}">Temporary Redirect</a>.`)
    }
    if (kind === 'referrers' && method === 'GET') {
      await backing.discover(repository)
      const manifests = state
        .manifestsOf(repository)
        .filter(m => m.subject === reference)
        .map(m => ({
          mediaType: m.mediaType,
          digest: m.digest,
          size: m.size,
          artifactType: m.artifactType
        }))
      return sendJson(
        res,
        200,
        { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests },
        {
          ...commonHeaders(),
          'content-type': 'application/vnd.oci.image.index.v1+json'
        }
      )
    }
    if (kind === 'manifests' && method === 'PUT') {
      const repo = state.repositories.get(repository)
      const tag = reference.includes(':') ? undefined : state.tags.get(`${repository}:${reference}`)
      if (state.writeRefused(repo, tag)) return disallowed(res)
      const bytes = Buffer.from(await readBody(req), 'utf8')
      const reply = await backing.call(
        'PUT',
        `/v2/${repository}/manifests/${reference}`,
        {
          'content-type': req.headers['content-type'] ?? '',
          'content-length': String(bytes.length)
        },
        bytes
      )
      if (reply.status === 201) {
        const digest = String(reply.headers['docker-content-digest'])
        backing.record(repository, digest, bytes, true)
        if (!reference.includes(':')) state.tag(repository, reference, digest, true)
      }
      return relay(res, reply)
    }
    if (kind === 'manifests' && method === 'DELETE') {
      await backing.discover(repository)
      const manifest = state.manifests.get(`${repository}@${reference}`)
      if (state.deleteRefused(manifest, state.repositories.get(repository))) return disallowed(res)
      const status = await backing.deleteManifest(repository, reference)
      if (status === 202) {
        state.forgetManifest(repository, reference)
        // Deleting a subject deletes what refers to it (signatures, SBOMs).
        for (const referrer of state.manifestsOf(repository).filter(m => m.subject === reference)) {
          await backing.deleteManifest(repository, referrer.digest)
          state.forgetManifest(repository, referrer.digest)
        }
      }
      res.writeHead(status, { ...commonHeaders(), 'content-length': '0' })
      return void res.end()
    }
    forward(req, res)
  }

  const relay = (
    res: http.ServerResponse,
    reply: { status: number; headers: http.IncomingHttpHeaders; body: Buffer }
  ): void => {
    const headers: http.OutgoingHttpHeaders = { ...reply.headers, ...commonHeaders() }
    if (typeof headers.location === 'string' && headers.location.startsWith(options.registry.url)) {
      headers.location = headers.location.slice(options.registry.url.length)
    }
    res.writeHead(reply.status, headers)
    res.end(reply.body)
  }

  const forward = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const target = new URL(options.registry.url)
    const headers = { ...req.headers, host: target.host }
    delete headers.authorization
    const request = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
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

  const server: HttpsServer = await startHttpsServer({
    name: 'acr',
    ca: options.ca,
    handler: async (req, res, url) => {
      const method = req.method ?? 'GET'
      if (interfere(req, res, url)) return
      if (url.pathname === '/oauth2/exchange' && method === 'POST')
        return exchange(res, await readForm(req))
      if (url.pathname === '/oauth2/token' && method === 'GET') return grantByGet(req, res, url)
      if (url.pathname === '/oauth2/token' && method === 'POST')
        return grantAccess(res, await readForm(req))
      if (!url.pathname.startsWith('/v2/') && !url.pathname.startsWith('/acr/v1/')) {
        return sendJson(res, 404, { errors: [{ code: 'NOT_FOUND' }] }, commonHeaders())
      }
      const need = needOf(method, url.pathname)
      const presented = bearerToken(req)
      const claims = verify(presented, 'access_token')
      if (!claims) return challenge(res, need, false)
      if (need && !granted(claims, need)) return challenge(res, need, true)
      if (url.pathname.startsWith('/acr/v1/')) {
        return handleMetadata(
          { host, state, backing, headers: commonHeaders, disallowed },
          req,
          res,
          url
        )
      }
      return v2(req, res, url)
    }
  })
  host = new URL(server.url).host

  return {
    url: server.url,
    host,
    service: host,
    storageUrl: storage.url,
    state,
    issuedTokens: () => [...issued],
    requests: () => server.requests(),
    storageRequests: () => storage.requests(),
    setTagTime: async (repository, tag, time) => {
      await backing.discover(repository)
      const stamp = acrTime(time)
      const record = state.tags.get(`${repository}:${tag}`)
      if (!record) throw new Error(`no tag ${repository}:${tag}`)
      Object.assign(record, { createdTime: stamp, lastUpdateTime: stamp })
      const manifest = state.manifests.get(`${repository}@${record.digest}`)
      if (manifest) Object.assign(manifest, { createdTime: stamp, lastUpdateTime: stamp })
    },
    injectFault: fault => faults.push({ ...fault }),
    throttleWrites: perMinute => (writeLimit = perMinute),
    stop: async () => {
      await server.stop()
      await storage.stop()
    }
  }
}
