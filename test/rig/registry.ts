import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { hash } from 'bcryptjs'
import { parseAccessLog, type AccessLogEntry } from './access-log.js'
import { diesWithParent, makeTempDir, removeTempDir, trackChild } from './cleanup.js'
import { simpleRequest } from './http.js'
import { freePort } from './ports.js'
import { makeCertificates } from './tls.js'

export type { AccessLogEntry } from './access-log.js'

export interface Credentials {
  username: string
  password: string
}

export interface RegistryOptions {
  /** Require HTTP basic auth with these credentials (htpasswd). */
  auth?: Credentials
  /** Serve HTTPS with a certificate from a fresh private CA. */
  tls?: boolean
}

export interface Registry {
  /** `127.0.0.1:PORT`, the registry's name in image references. */
  host: string
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`, no trailing slash. */
  url: string
  auth?: Credentials
  /** With TLS: the CA's PEM (for node's `ca` option) and its file. */
  caPem?: string
  caFile?: string
  /** With TLS: a folder holding only the CA as `ca.crt`, the layout skopeo's `--cert-dir` wants. */
  certDir?: string
  /** The registry's process id and its temporary folder, so tests can check stop() cleaned up. */
  pid: number
  dir: string
  /** Requests served so far, oldest first, leaving out the rig's own probes. */
  requests(): Promise<AccessLogEntry[]>
  requestCount(): Promise<number>
  /** Everything the registry printed, stdout and stderr interleaved as they arrived. */
  logs(): string
  /** Kills the registry, waits for it to exit and removes its folder. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * The user agent of the rig's own readiness and flush requests, which
 * requests() leaves out so that counts reflect only what a test sent.
 */
export const RIG_USER_AGENT = 'acr-action-test-rig'

const START_TIMEOUT_MS = 15_000
const BIND_ATTEMPTS = 3
const FLUSH_TIMEOUT_MS = 5_000
// Handlers log after writing their response, on their own goroutine; this
// covers one that a client already heard from but that has not logged yet.
const LOG_SETTLE_MS = 20

interface Setup {
  auth?: Credentials
  htpasswd?: string
  tls?: { cert: string; key: string; caFile: string; caPem: string; certDir: string }
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const dir = await makeTempDir('registry')
  try {
    const setup = await prepare(dir, options)
    for (let attempt = 1; ; attempt++) {
      // Another process can take the free port before the registry binds it.
      try {
        return await launch(dir, setup, await freePort())
      } catch (error) {
        const portTaken = String(error).includes('address already in use')
        if (!portTaken || attempt >= BIND_ATTEMPTS) throw error
      }
    }
  } catch (error) {
    await removeTempDir(dir)
    throw error
  }
}

async function prepare(dir: string, options: RegistryOptions): Promise<Setup> {
  const setup: Setup = {}
  if (options.auth) {
    setup.auth = options.auth
    setup.htpasswd = join(dir, 'htpasswd')
    // The registry checks the bcrypt hash on every request; the lowest cost
    // keeps authenticated benchmarks measuring the action, not bcrypt.
    const line = `${options.auth.username}:${await hash(options.auth.password, 4)}\n`
    await writeFile(setup.htpasswd, line)
  }
  if (options.tls) {
    const certificates = await makeCertificates(join(dir, 'tls'))
    // skopeo treats a *.key in --cert-dir as a client key, so the CA goes alone.
    const certDir = join(dir, 'certs.d')
    await mkdir(certDir)
    await copyFile(certificates.caCert, join(certDir, 'ca.crt'))
    setup.tls = {
      cert: certificates.cert,
      key: certificates.key,
      caFile: certificates.caCert,
      caPem: certificates.caPem,
      certDir
    }
  }
  return setup
}

// YAML is a superset of JSON, so JSON.stringify writes a valid config.yml
// without any YAML quoting rules to get wrong.
function registryConfig(dir: string, setup: Setup, host: string): object {
  return {
    version: '0.1',
    // Info level prints "listening on", which start-up waits for; the access
    // log goes to stdout whatever the level.
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'storage') },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } }
    },
    http: {
      addr: host,
      // Without a secret the registry makes one up and warns on every start.
      secret: randomBytes(16).toString('hex'),
      ...(setup.tls && { tls: { certificate: setup.tls.cert, key: setup.tls.key } })
    },
    ...(setup.htpasswd && { auth: { htpasswd: { realm: 'acr-rig', path: setup.htpasswd } } })
  }
}

async function launch(dir: string, setup: Setup, port: number): Promise<Registry> {
  const host = `127.0.0.1:${port}`
  const url = `${setup.tls ? 'https' : 'http'}://${host}`
  const ca = setup.tls?.caPem
  const configFile = join(dir, 'config.yml')
  await writeFile(configFile, JSON.stringify(registryConfig(dir, setup, host), null, 2))

  const registry = spawnRegistry(configFile)
  const { child, exited } = registry
  try {
    await waitUntilReady(url, ca, () => registry.output().includes(`listening on ${host}`), exited)
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw new Error(`${(error as Error).message}; registry output:\n${registry.output()}`)
  }

  let flushes = 0
  async function requests(): Promise<AccessLogEntry[]> {
    if (child.exitCode === null && child.signalCode === null) {
      // A request of our own, answered and logged, shows that the lines of
      // every request answered before it have reached this process too.
      const marker = `${RIG_USER_AGENT} flush-${++flushes}`
      await simpleRequest(`${url}/v2/`, { ca, headers: { 'user-agent': marker } })
      const logged = () => registry.accessLog().includes(`"${marker}"`)
      await waitFor(logged, FLUSH_TIMEOUT_MS, 'access log line')
      await sleep(LOG_SETTLE_MS)
    }
    return parseAccessLog(registry.accessLog()).filter(
      entry => !entry.userAgent.startsWith(RIG_USER_AGENT)
    )
  }

  let stopping: Promise<void> | undefined
  async function stop(): Promise<void> {
    child.kill('SIGTERM')
    // This timer also keeps a plain node script alive until the child is gone.
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
    await exited
    clearTimeout(timer)
    await removeTempDir(dir)
  }

  return {
    host,
    url,
    ...(setup.auth && { auth: setup.auth }),
    ...(setup.tls && {
      caPem: setup.tls.caPem,
      caFile: setup.tls.caFile,
      certDir: setup.tls.certDir
    }),
    pid: child.pid ?? -1,
    dir,
    requests,
    requestCount: async () => (await requests()).length,
    logs: registry.output,
    stop: () => (stopping ??= stop())
  }
}

interface RegistryProcess {
  child: ChildProcess
  /** Settles when the process has exited and its output is fully read. */
  exited: Promise<void>
  /** stdout, which holds only the access log. */
  accessLog(): string
  /** stdout and stderr interleaved as they arrived. */
  output(): string
}

function spawnRegistry(configFile: string): RegistryProcess {
  const [file, args] = diesWithParent('docker-registry', ['serve', configFile])
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  trackChild(child)
  let accessLog = ''
  let output = ''
  // setEncoding keeps a character split across two chunks intact.
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    accessLog += text
    output += text
  })
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    output += text
  })
  const exited = new Promise<void>(resolve => {
    child.once('close', () => resolve())
    child.once('error', error => {
      output += `${String(error)}\n`
      resolve()
    })
  })
  unref(child)
  return { child, exited, accessLog: () => accessLog, output: () => output }
}

/** Resolves once the registry has bound its port and answers `/v2/` (200, or 401 with auth). */
async function waitUntilReady(
  url: string,
  ca: string | undefined,
  bound: () => boolean,
  exited: Promise<void>
): Promise<void> {
  let gone = false
  void exited.then(() => (gone = true))
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    // Another server could hold the port and answer /v2/; "listening on" is ours alone.
    if (bound()) {
      const status = await simpleRequest(`${url}/v2/`, {
        ca,
        headers: { 'user-agent': RIG_USER_AGENT },
        timeoutMs: 1_000
      }).then(
        response => response.status,
        () => 0
      )
      if (status === 200 || status === 401) return
    }
    if (gone) throw new Error(`docker-registry exited before answering ${url}/v2/`)
    if (Date.now() > deadline) {
      throw new Error(`docker-registry did not answer ${url}/v2/ within ${START_TIMEOUT_MS} ms`)
    }
    await sleep(50)
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

// A registry a test forgot to stop must not keep the test process alive;
// cleanup.ts kills it when that process exits.
function unref(child: ChildProcess): void {
  child.unref()
  for (const stream of [child.stdout, child.stderr]) unrefStream(stream)
}

function unrefStream(stream: Readable | null): void {
  if (stream && 'unref' in stream && typeof stream.unref === 'function') stream.unref()
}
