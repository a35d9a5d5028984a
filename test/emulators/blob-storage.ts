// The storage account ACR redirects blob downloads to: a separate origin
// that serves a blob only with a valid, unexpired signature in the query and
// refuses any request carrying an Authorization header, as Azure storage does.
// The bytes come from the real registry.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { Registry } from '../rig/registry.js'
import type { CertificateAuthority } from '../rig/tls.js'
import { startHttpsServer } from './https-server.js'

export interface BlobStorage {
  url: string
  /** A SAS-style URL for one blob of one repository, valid for ten minutes. */
  signedUrl(repository: string, digest: string): string
  requests(): Array<{ method: string; path: string; status: number }>
  stop(): Promise<void>
}

const version = '2016-05-31'

function storageError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string
): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code })
  res.end(
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
  )
}

export async function startBlobStorage(
  ca: CertificateAuthority,
  registry: Registry,
  clock: () => number = Date.now
): Promise<BlobStorage> {
  const secret = randomBytes(32)
  const account = `${randomBytes(4).toString('hex')}-acr`
  const sign = (path: string, expiry: string, repository: string): string =>
    createHmac('sha256', secret).update(`${path}\n${expiry}\n${repository}`).digest('base64url')
  const backing = new URL(registry.url)

  const handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    if (req.headers.authorization !== undefined) {
      return storageError(
        res,
        403,
        'AuthenticationFailed',
        'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.'
      )
    }
    const match =
      /\/docker\/registry\/v2\/blobs\/(sha256)\/[0-9a-f]{2}\/([0-9a-f]{64})\/data$/.exec(
        url.pathname
      )
    const expiry = url.searchParams.get('se') ?? ''
    const repository = url.searchParams.get('repo') ?? ''
    const given = Buffer.from(url.searchParams.get('sig') ?? '')
    const expected = Buffer.from(sign(url.pathname, expiry, repository))
    const valid = given.length === expected.length && timingSafeEqual(given, expected)
    if (!match || !valid || Date.parse(expiry) < clock()) {
      return storageError(
        res,
        403,
        'AuthenticationFailed',
        'Signature did not match or has expired.'
      )
    }
    const upstream = http.request(
      {
        host: backing.hostname,
        port: backing.port,
        method: req.method,
        path: `/v2/${repository}/blobs/${match[1]}:${match[2]}`,
        headers: req.headers.range ? { range: req.headers.range } : {}
      },
      answer => {
        if ((answer.statusCode ?? 500) >= 400) {
          answer.resume()
          return storageError(res, 404, 'BlobNotFound', 'The specified blob does not exist.')
        }
        res.writeHead(answer.statusCode ?? 200, {
          'content-type': 'application/octet-stream',
          'content-length': answer.headers['content-length'] ?? '',
          ...(answer.headers['content-range']
            ? { 'content-range': answer.headers['content-range'] }
            : {}),
          'accept-ranges': 'bytes',
          'x-ms-blob-type': 'BlockBlob',
          'x-ms-version': version
        })
        answer.pipe(res)
      }
    )
    upstream.on('error', () =>
      storageError(res, 500, 'InternalError', 'backing registry unreachable')
    )
    upstream.end()
  }
  const server = await startHttpsServer({ name: 'storage', ca, handler })

  return {
    url: server.url,
    signedUrl: (repository, digest) => {
      const hex = digest.slice('sha256:'.length)
      const path = `/${account}//docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`
      const expiry = new Date(clock() + 10 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z')
      const query = new URLSearchParams({
        se: expiry,
        sig: sign(path, expiry, repository),
        sp: 'r',
        spr: 'https',
        sr: 'b',
        sv: version,
        repo: repository
      })
      return `${server.url}${path}?${query}`
    },
    requests: () => server.requests(),
    stop: () => server.stop()
  }
}
