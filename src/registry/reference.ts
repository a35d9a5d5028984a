// Registry addresses and OCI names: parsing and validation only, no I/O.
// Names follow the OCI distribution spec; a value that breaks a rule throws
// InvalidReferenceError, whose message says what is wrong and what is accepted
// (the caller adds which input it came from).

import { isLoopbackHostname } from '../http/loopback.js'
import { isIPv6 } from 'node:net'

export class InvalidReferenceError extends Error {
  override name = 'InvalidReferenceError'
}

export interface RegistryAddress {
  scheme: 'https' | 'http'
  /** `hostname[:port]` as written in references, an IPv6 address in brackets. */
  host: string
  /** Lowercase host name or IP address, IPv6 without brackets (what a socket connects to). */
  hostname: string
  port?: number
  /** `scheme://host`, no trailing slash. */
  baseUrl: string
  /** localhost, 127.0.0.0/8 or ::1: the only hosts that may see credentials over http. */
  loopback: boolean
}

/**
 * Parses `host`, `host:port`, `[ipv6]:port`, `https://host[:port]` or `http://host[:port]`
 * (https is the default). Anything beyond the authority (a path, a query, user info) is
 * refused rather than dropped, so a mistyped value never talks to an unexpected place.
 */
export function parseRegistry(input: string): RegistryAddress {
  const text = input.trim()
  if (text === '') throw invalid('no address given: give a host such as myregistry.azurecr.io')

  let scheme: RegistryAddress['scheme'] = 'https'
  let authority = text
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)
  if (schemeMatch) {
    const name = (schemeMatch[1] ?? '').toLowerCase()
    if (name !== 'https' && name !== 'http') {
      throw invalid(
        `${quote(text)} uses ${name}://: only https:// (the default) and http:// are accepted`
      )
    }
    scheme = name
    authority = text.slice(schemeMatch[0].length)
  } else if (text.includes('://')) {
    throw invalid(`${quote(text)} has a malformed scheme: use https://host or http://host`)
  }

  // Checked before anything is echoed: user info may hold a password.
  if (authority.includes('@')) {
    throw invalid(
      'the address holds user info (user@ or user:password@): give credentials as inputs'
    )
  }
  if (/[?#]/.test(authority)) {
    throw invalid(`${quote(text)} has a query or fragment: give only [scheme://]host[:port]`)
  }
  if (authority.endsWith('/')) authority = authority.slice(0, -1)
  if (authority.includes('/')) {
    throw invalid(`${quote(text)} has a path: give only [scheme://]host[:port]`)
  }

  const { hostname, bracketed, portText } = splitAuthority(authority, text)
  const port = portText === undefined ? undefined : parsePort(portText, text)
  const hostPart = bracketed ? `[${hostname}]` : hostname
  const host = port === undefined ? hostPart : `${hostPart}:${port}`
  return {
    scheme,
    host,
    hostname,
    ...(port === undefined ? {} : { port }),
    baseUrl: `${scheme}://${host}`,
    loopback: isLoopbackHostname(hostname)
  }
}

function splitAuthority(
  authority: string,
  original: string
): { hostname: string; bracketed: boolean; portText?: string } {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']')
    const rest = authority.slice(end + 1)
    if (end < 0 || (rest !== '' && !rest.startsWith(':'))) {
      throw invalid(
        `${quote(original)} has a malformed IPv6 address: use [address] or [address]:port`
      )
    }
    const address = authority.slice(1, end)
    // Zone ids (%eth0) have no place in a URL; isIPv6 would accept them.
    if (address.includes('%') || !isIPv6(address)) {
      throw invalid(`${quote(original)}: ${quote(address)} is not an IPv6 address`)
    }
    // The URL parser writes every spelling of an address the same way (0:0::1 → ::1).
    const hostname = new URL(`http://[${address}]`).hostname.slice(1, -1)
    return { hostname, bracketed: true, ...(rest === '' ? {} : { portText: rest.slice(1) }) }
  }

  const colons = authority.split(':').length - 1
  if (colons > 1) {
    throw invalid(`${quote(original)}: put an IPv6 address in brackets, as in [::1]:5000`)
  }
  const [name = '', portText] = authority.split(':')
  const hostname = name.toLowerCase()
  checkHostname(hostname, original)
  return { hostname, bracketed: false, ...(portText === undefined ? {} : { portText }) }
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

function checkHostname(hostname: string, original: string): void {
  if (hostname === '') throw invalid(`${quote(original)} has no host name`)
  const labels = hostname.split('.')
  // A name ending in a number is an IPv4 address to URL parsers (127.1, 0x7f.1, 010.0.0.1):
  // accept only the plain dotted form so that everyone agrees on which host it is.
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1] ?? '')) {
    if (!IPV4.test(hostname)) {
      throw invalid(`${quote(original)}: ${quote(hostname)} is not an IPv4 address like 10.0.0.5`)
    }
    return
  }
  if (hostname.length > 253 || !labels.every(label => DNS_LABEL.test(label))) {
    throw invalid(
      `${quote(original)}: ${quote(hostname)} is not a host name (letters, digits and -, in dot-separated labels)`
    )
  }
}

function parsePort(text: string, original: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN
  if (!(port >= 1 && port <= 65535)) {
    throw invalid(`${quote(original)} has port ${quote(text)}: a port is a number from 1 to 65535`)
  }
  return port
}

// One path component: lowercase alphanumerics joined by ., _, __ or runs of -.
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*'
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const REPOSITORY_RULE =
  'path components of lowercase letters and digits, joined inside by ., _, __ or -, separated by /'

// The spec sets no length, but Docker and most registries cap `host/repository` at 255
// characters; checking it here fails early instead of at the first push.
export const MAX_NAME_LENGTH = 255

export function validateRepository(repository: string, registryHost: string): string {
  if (!REPOSITORY.test(repository)) {
    const hint = /[A-Z]/.test(repository) ? 'repository names are lowercase; ' : ''
    throw invalid(`${quote(repository)} is not a repository name: ${hint}${REPOSITORY_RULE}`)
  }
  const length = registryHost.length + 1 + repository.length
  if (length > MAX_NAME_LENGTH) {
    throw invalid(
      `${quote(repository)} is too long: host/repository may be at most ${MAX_NAME_LENGTH} characters, this is ${length}`
    )
  }
  return repository
}

/**
 * Compiles a repository glob: `*` matches within one path segment, a `**` segment matches
 * any number of segments (`team/**` everything under team, `**\/app` app at any depth).
 */
export function compileRepositoryGlob(glob: string): RegExp {
  const segments = glob.split('/')
  if (segments.some(segment => segment.includes('**') && segment !== '**')) {
    throw invalid(`${quote(glob)}: ** must be a whole path segment, as in team/** or **/app`)
  }
  // Putting a letter where each wildcard is leaves a name that must itself be valid; this
  // checks the literal parts (no capitals, no stray separators) in one go.
  const sample = glob.replace(/\*+/g, 'x')
  if (!REPOSITORY.test(sample) || sample.length > MAX_NAME_LENGTH) {
    throw invalid(`${quote(glob)} is not a repository glob: ${REPOSITORY_RULE}, with * or **`)
  }

  let source = ''
  segments.forEach((segment, i) => {
    const separator = i > 0 && segments[i - 1] !== '**' ? '/' : ''
    const last = i === segments.length - 1
    if (segment !== '**') {
      source += separator + segment.split('*').map(escapeRegExp).join('[^/]*')
    } else if (!last) {
      source += `${separator}(?:[^/]+/)*`
    } else {
      source += `${separator}.+`
    }
  })
  return new RegExp(`^${source}$`)
}

const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/
const TAG_RULE = '1 to 128 letters, digits, _, . and -, not starting with . or -'

export function validateTag(tag: string): string {
  if (!TAG.test(tag)) throw invalid(`${quote(tag)} is not a tag: ${TAG_RULE}`)
  return tag
}

/** Compiles a tag glob (`*` any run of characters, `?` one character), anchored. */
export function compileTagGlob(glob: string): RegExp {
  if (!/^[a-zA-Z0-9_.*?-]{1,128}$/.test(glob)) {
    throw invalid(
      `${quote(glob)} is not a tag glob: tag characters (letters, digits, _, . and -) with * and ?`
    )
  }
  const source = glob
    .split('')
    .map(char => (char === '*' ? '.*' : char === '?' ? '.' : escapeRegExp(char)))
    .join('')
  return new RegExp(`^${source}$`)
}

// The OCI grammar admits algorithms nobody implements; only these two can be verified here.
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 }

export function validateDigest(digest: string): string {
  if (!ANY_DIGEST.test(digest)) {
    throw invalid(`${quote(digest)} is not a digest: sha256: followed by 64 lowercase hex digits`)
  }
  const [algorithm = '', encoded = ''] = digest.split(':')
  const length = DIGEST_HEX_LENGTH[algorithm]
  if (length === undefined) {
    throw invalid(
      `${quote(digest)} uses algorithm ${algorithm}: only sha256 and sha512 are supported`
    )
  }
  if (encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) {
    throw invalid(
      `${quote(digest)} is not a ${algorithm} digest: ${algorithm}: takes ${length} lowercase hex digits`
    )
  }
  return digest
}

/** `host[:port]/repository@digest`, the form docker, oras and crane accept (no scheme). */
export function formatReference(
  registry: RegistryAddress | string,
  repository: string,
  digest: string
): string {
  const host = typeof registry === 'string' ? registry : registry.host
  return `${host}/${repository}@${digest}`
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function quote(value: string): string {
  return JSON.stringify(value)
}

function invalid(problem: string): InvalidReferenceError {
  return new InvalidReferenceError(problem)
}
