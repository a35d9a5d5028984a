// The storage account ACR redirects blob downloads to: its own HTTPS origin,
// serving the registry's storage layout (`<container>//docker/registry/v2/
// blobs/...`, the `//` included) to requests whose SAS query is signed and
// unexpired. Like Azure storage it refuses any request that carries an
// Authorization header, which is why clients must drop it on the redirect.

import { randomBytes, randomUUID } from 'node:crypto'
import type http from 'node:http'
import type { CertificateAuthority } from '../../rig/tls.js'
import { StorageLayout } from './layout.js'
import { SasSigner, STORAGE_VERSION } from './sas.js'
import { startOrigin, type LoggedRequest, type RequestTarget } from '../https-server.js'

export interface BlobStorage {
  url: string
  /** A read-only SAS URL for a blob, as ACR puts in a 307's Location. */
  signedUrl(digest: string): string
  log: LoggedRequest[]
  stop(): Promise<void>
}

export interface StorageOptions {
  ca: CertificateAuthority
  dir: string
  layout: StorageLayout
  registryId: string
  clock: () => number
  lifetimeSeconds: number
}

const BLOB =
  /^\/[a-z0-9-]+\/\/docker\/registry\/v2\/blobs\/sha256\/([a-f0-9]{2})\/([a-f0-9]{64})\/data$/

function storageHeaders(): Record<string, string> {
  return {
    server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0',
    'x-ms-request-id': randomUUID(),
    'x-ms-version': STORAGE_VERSION
  }
}

/** Azure storage's XML error, with its byte-order mark. */
function storageError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  detail?: string
): void {
  const body = Buffer.from(
    `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message>${
      detail ? `<AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail>` : ''
    }</Error>`
  )
  res.writeHead(status, {
    ...storageHeaders(),
    'content-type': 'application/xml',
    'content-length': String(body.length),
    'x-ms-error-code': code
  })
  res.end(body)
}

function authenticationFailed(res: http.ServerResponse, detail: string): void {
  storageError(
    res,
    403,
    'AuthenticationFailed',
    'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
    detail
  )
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`: undefined for none, null when unsatisfiable. */
function parseRange(
  header: string | undefined,
  size: number
): { start: number; end: number } | null | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null
  const [, from = '', to = ''] = match ?? []
  if (from === '' && to === '') return undefined
  const start = from === '' ? Math.max(0, size - Number(to)) : Number(from)
  const end = from === '' || to === '' ? size - 1 : Math.min(Number(to), size - 1)
  return start <= end && start < size ? { start, end } : null
}

export async function startBlobStorage(options: StorageOptions): Promise<BlobStorage> {
  const container = `${options.registryId}-${randomBytes(4).toString('hex')}`
  const sas = new SasSigner(
    randomBytes(32),
    options.registryId,
    options.clock,
    options.lifetimeSeconds
  )

  const serve = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: RequestTarget
  ): Promise<void> => {
    if (req.headers.authorization !== undefined) {
      return authenticationFailed(
        res,
        'Authorization header and a shared access signature cannot both be given.'
      )
    }
    const check = sas.check(target.pathname, target.query)
    if (check === 'bad-signature') return authenticationFailed(res, 'Signature did not match.')
    if (check === 'expired') {
      return authenticationFailed(
        res,
        `Signed expiry time [${target.query.get('se')}] must be after the current time.`
      )
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return storageError(
        res,
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.'
      )
    }
    const match = BLOB.exec(target.pathname)
    const digest = match && match[2]?.startsWith(match[1] ?? '') ? `sha256:${match[2]}` : undefined
    const info = digest ? await options.layout.blobStat(digest) : undefined
    if (!digest || !info) {
      return storageError(res, 404, 'BlobNotFound', 'The specified blob does not exist.')
    }
    const rangeHeader = req.headers['x-ms-range']
    const range = parseRange(
      typeof rangeHeader === 'string' ? rangeHeader : req.headers.range,
      info.size
    )
    if (range === null) {
      res.setHeader('content-range', `bytes */${info.size}`)
      return storageError(
        res,
        416,
        'InvalidRange',
        'The range specified is invalid for the current size of the resource.'
      )
    }
    const headers = {
      ...storageHeaders(),
      'content-type': 'application/octet-stream',
      'last-modified': info.modified.toUTCString(),
      etag: `"0x${info.modified.getTime().toString(16).toUpperCase()}"`,
      'accept-ranges': 'bytes',
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-lease-status': 'unlocked',
      'x-ms-lease-state': 'available',
      'x-ms-server-encrypted': 'true'
    }
    if (range) {
      res.writeHead(206, {
        ...headers,
        'content-length': String(range.end - range.start + 1),
        'content-range': `bytes ${range.start}-${range.end}/${info.size}`
      })
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(info.size) })
    }
    if (req.method === 'HEAD' || info.size === 0) return void res.end()
    const stream = options.layout.openBlob(digest, range ?? undefined)
    stream.on('error', () => res.destroy())
    stream.pipe(res)
  }

  const origin = await startOrigin({
    ca: options.ca,
    dir: options.dir,
    name: 'acr-storage',
    // The query holds the SAS signature.
    logQuery: false,
    handler: serve,
    onError: (res, error) => storageError(res, 500, 'InternalError', String(error))
  })

  return {
    url: origin.url,
    signedUrl: digest => {
      const path = `/${container}//${StorageLayout.blobPath(digest)}`
      return `${origin.url}${path}?${sas.sign(path)}`
    },
    log: origin.log,
    stop: () => origin.stop()
  }
}
