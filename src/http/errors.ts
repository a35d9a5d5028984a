import { errorCode } from './retry.js'

export type TransportFailure = 'tls' | 'dns' | 'connect' | 'timeout' | 'network'

const tlsCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER'
])

/** A request that got no HTTP answer at all. The message says what to check. */
export class TransportError extends Error {
  override readonly name = 'TransportError'

  constructor(
    readonly failure: TransportFailure,
    readonly host: string,
    readonly code: string | undefined,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }

  static from(error: unknown, url: URL): TransportError {
    const code = errorCode(error)
    const host = url.host
    const detail = code ?? (error as { message?: string } | null)?.message ?? String(error)
    if (code !== undefined && tlsCodes.has(code)) {
      const hint =
        code === 'ERR_SSL_WRONG_VERSION_NUMBER'
          ? 'the server does not speak TLS on this port: use an http:// registry address if it is plain HTTP'
          : 'if it is signed by a private CA, point NODE_EXTRA_CA_CERTS at that CA before this step'
      return new TransportError(
        'tls',
        host,
        code,
        `the TLS certificate of ${host} is not trusted (${code}): ${hint}`,
        { cause: error }
      )
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new TransportError('dns', host, code, `cannot resolve ${url.hostname} (${code})`, {
        cause: error
      })
    }
    if (code === 'ECONNREFUSED') {
      return new TransportError(
        'connect',
        host,
        code,
        `nothing answers at ${host} (${code}): check the registry address and port`,
        {
          cause: error
        }
      )
    }
    if (code === 'ETIMEDOUT' || (code?.startsWith('UND_ERR_') && code.endsWith('TIMEOUT'))) {
      return new TransportError('timeout', host, code, `${host} did not answer in time (${code})`, {
        cause: error
      })
    }
    return new TransportError('network', host, code, `request to ${host} failed: ${detail}`, {
      cause: error
    })
  }
}
