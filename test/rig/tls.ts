import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from './exec.js'

/** A private certificate authority: give `pem` to clients, hand the CA to issueCertificate. */
export interface CertificateAuthority {
  cert: string
  key: string
  pem: string
}

/** A server certificate and its key, both as file paths. */
export interface LeafCertificate {
  cert: string
  key: string
}

export interface IssueOptions {
  /** File name stem, so several leaves can share one folder. */
  name: string
  /** Subject alternative names in openssl syntax (`DNS:x`, `IP:1.2.3.4`), added to the loopback ones. */
  sans?: string[]
}

export interface Certificates {
  caCert: string
  caPem: string
  cert: string
  key: string
}

// Every rig server listens on loopback; clients may name it either way.
const LOOPBACK_SANS = ['IP:127.0.0.1', 'DNS:localhost']

// P-256 keys generate in milliseconds, where RSA keys slow every test start.
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc']

// Long enough for a demo left running over a weekend; nothing outlives a test run.
const DAYS = ['-days', '30']

export async function createCertificateAuthority(dir: string): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true })
  const cert = join(dir, 'ca.crt')
  const key = join(dir, 'ca.key')
  await run('openssl', [
    'req',
    '-x509',
    ...KEY_ARGS,
    ...DAYS,
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    '/CN=acr-action test rig CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  ])
  return { cert, key, pem: await readFile(cert, 'utf8') }
}

/**
 * Signs a server certificate with `ca`. One CA can issue many leaves, so the
 * registry and the HTTPS emulators can all be trusted through a single `ca` option.
 */
export async function issueCertificate(
  ca: CertificateAuthority,
  dir: string,
  options: IssueOptions
): Promise<LeafCertificate> {
  await mkdir(dir, { recursive: true })
  const cert = join(dir, `${options.name}.crt`)
  const key = join(dir, `${options.name}.key`)
  const sans = [...LOOPBACK_SANS, ...(options.sans ?? [])]
  // `req -x509 -CA` (OpenSSL 3) signs in one step: no CSR file, no serial file.
  await run('openssl', [
    'req',
    '-x509',
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    ...KEY_ARGS,
    ...DAYS,
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    `/CN=${options.name}`,
    '-addext',
    `subjectAltName=${sans.join(',')}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature',
    '-addext',
    'extendedKeyUsage=serverAuth'
  ])
  return { cert, key }
}

/** A fresh CA and one server certificate for loopback (plus `sans`), all in `dir`. */
export async function makeCertificates(dir: string, sans: string[] = []): Promise<Certificates> {
  const ca = await createCertificateAuthority(dir)
  const leaf = await issueCertificate(ca, dir, { name: 'server', sans })
  return { caCert: ca.cert, caPem: ca.pem, cert: leaf.cert, key: leaf.key }
}
