// What a request path names. Both APIs take the repository either plain
// (`/v2/team/app/...`) or percent-encoded (`/acr/v1/team%2Fapp/_tags`, which
// the SDK sends to /v2/ too); names and references are checked against the
// distribution grammar so nothing odd reaches the backing registry or a path
// in its storage.

export type Route =
  | { api: 'oauth'; endpoint: 'exchange' | 'token' }
  | { api: 'v2'; kind: 'base' | 'catalog' }
  | { api: 'v2'; kind: 'tags'; repository: string }
  | { api: 'v2'; kind: 'manifest' | 'blob' | 'referrers'; repository: string; reference: string }
  /** `rest` is what follows `/blobs/uploads/` (empty, or the upload's id). */
  | { api: 'v2'; kind: 'upload'; repository: string; rest: string }
  | { api: 'acr'; kind: 'catalog' }
  | { api: 'acr'; kind: 'repository' | 'tags' | 'manifests'; repository: string }
  | { api: 'acr'; kind: 'tag' | 'manifest'; repository: string; reference: string }
  /** Under /v2/ or /acr/v1/ but nothing the emulator serves: still needs a token. */
  | { api: 'v2'; kind: 'unknown' }
  | { api: 'acr'; kind: 'unknown' }
  | { api: 'none' }

/** A route of /v2/ or /acr/v1/, the APIs behind the bearer check. */
export type ApiRoute = Extract<Route, { api: 'v2' | 'acr' }>

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*'
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/

export const isDigest = (reference: string): boolean => DIGEST.test(reference)

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part)
  } catch {
    return undefined
  }
}

function repositoryOf(raw: string): string | undefined {
  const name = decode(raw)
  return name !== undefined && REPOSITORY.test(name) ? name : undefined
}

function referenceOf(raw: string): string | undefined {
  const reference = decode(raw)
  return reference !== undefined && (TAG.test(reference) || DIGEST.test(reference))
    ? reference
    : undefined
}

const V2_ITEM = /^\/v2\/(.+?)\/(manifests|blobs|referrers)\/([^/]+)$/
const V2_UPLOAD = /^\/v2\/(.+?)\/blobs\/uploads\/([^/]*)$/
const V2_TAGS = /^\/v2\/(.+?)\/tags\/list$/
const ACR = /^\/acr\/v1\/(.+?)(?:\/(_tags|_manifests)(?:\/([^/]+))?)?$/

export function parseRoute(pathname: string): Route {
  if (pathname === '/oauth2/exchange') return { api: 'oauth', endpoint: 'exchange' }
  if (pathname === '/oauth2/token') return { api: 'oauth', endpoint: 'token' }
  if (pathname === '/v2/' || pathname === '/v2') return { api: 'v2', kind: 'base' }
  if (pathname === '/v2/_catalog') return { api: 'v2', kind: 'catalog' }
  if (pathname === '/acr/v1/_catalog') return { api: 'acr', kind: 'catalog' }
  if (pathname.startsWith('/v2/')) return parseV2(pathname)
  if (pathname.startsWith('/acr/v1/')) return parseAcr(pathname)
  return { api: 'none' }
}

function parseV2(pathname: string): Route {
  const unknown = { api: 'v2', kind: 'unknown' } as const
  const upload = V2_UPLOAD.exec(pathname)
  if (upload) {
    const repository = repositoryOf(upload[1] ?? '')
    const rest = upload[2] ?? ''
    return repository && /^[\w-]*$/.test(rest)
      ? { api: 'v2', kind: 'upload', repository, rest }
      : unknown
  }
  const tags = V2_TAGS.exec(pathname)
  if (tags) {
    const repository = repositoryOf(tags[1] ?? '')
    return repository ? { api: 'v2', kind: 'tags', repository } : unknown
  }
  const item = V2_ITEM.exec(pathname)
  if (!item) return unknown
  const repository = repositoryOf(item[1] ?? '')
  const reference = referenceOf(item[3] ?? '')
  const kind = ({ manifests: 'manifest', blobs: 'blob', referrers: 'referrers' } as const)[
    item[2] as 'manifests' | 'blobs' | 'referrers'
  ]
  // Blobs and referrers are addressed by digest only.
  if (!repository || !reference || (kind !== 'manifest' && !isDigest(reference))) return unknown
  return { api: 'v2', kind, repository, reference }
}

function parseAcr(pathname: string): Route {
  const unknown = { api: 'acr', kind: 'unknown' } as const
  const match = ACR.exec(pathname)
  const repository = match ? repositoryOf(match[1] ?? '') : undefined
  if (!match || !repository) return unknown
  const [, , list, item] = match
  if (list === undefined) return { api: 'acr', kind: 'repository', repository }
  if (item === undefined) {
    return { api: 'acr', kind: list === '_tags' ? 'tags' : 'manifests', repository }
  }
  const reference = referenceOf(item)
  if (!reference) return unknown
  if (list === '_tags') {
    return isDigest(reference) ? unknown : { api: 'acr', kind: 'tag', repository, reference }
  }
  return isDigest(reference) ? { api: 'acr', kind: 'manifest', repository, reference } : unknown
}

/** A path for the backing registry, with the repository unencoded as distribution wants it. */
export function v2Path(repository: string, ...rest: string[]): string {
  return ['/v2', repository, ...rest].join('/')
}
