// The README's troubleshooting table quotes the error lines users will see.
// Each is provoked here through the bundled action, against the emulators
// (all but an unresolvable name, built from the transport's own error),
// and must match a row (the row's example hosts and elided ids stand for any),
// so the table cannot drift from what the action prints.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TransportError } from '../../src/http/errors.js'
import { runAction } from '../../test/action/run-action.js'
import { startAcrEmulator, type AcrEmulator } from '../../test/emulators/acr/index.js'
import { clientId, startAzure, tenantId, type Azure } from '../../test/emulators/azure.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** The quoted error line of each row of the Troubleshooting table. */
function documentedLines(): string[] {
  const section = readme.split('\n## Troubleshooting')[1]?.split('\n## ')[0] ?? ''
  return section
    .split('\n')
    .slice(1)
    .map(line => /^\| *(`+) ?(.*?) ?\1 *\|/.exec(line)?.[2])
    .filter((line): line is string => line !== undefined)
}

// Example hosts in the README stand for whatever host a run prints; `…` for any text.
function rowPattern(line: string): RegExp {
  const escaped = line
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/…/g, '.*?')
    .replace(
      /https:\/\/login\\\.microsoftonline\\\.com|myregistry\\\.azurecr\\\.io|myregistry\\\.example/g,
      '\\S+'
    )
  return new RegExp(`^${escaped}$`)
}

let azure: Azure
let passwords: AcrEmulator
let work: string
const printed = new Map<string, string>()

async function provoke(
  name: string,
  inputs: Record<string, string>,
  env: Record<string, string>
): Promise<void> {
  const run = await runAction(inputs, env)
  expect(run.exitCode).toBe(1)
  expect(run.errors).toHaveLength(1)
  printed.set(name, run.errors[0] ?? '')
}

beforeAll(async () => {
  azure = await startAzure()
  passwords = await startAcrEmulator({
    ca: azure.ca,
    registry: azure.registry,
    users: [{ username: 'reader', password: 'pw-right-7c1f', actions: ['pull'] }]
  })
  work = await makeTempDir('troubleshooting')
  await mkdir(join(work, 'out'))
  await writeFile(join(work, 'out', 'a.txt'), 'a')

  const trusted = (env: Record<string, string> = azure.runner.env()) => ({
    ...env,
    NODE_EXTRA_CA_CERTS: azure.caFile
  })
  const oidc = (extra: Record<string, string>) => ({
    registry: azure.acr.host,
    repository: 'team/app',
    'client-id': clientId,
    'tenant-id': tenantId,
    'authority-host': azure.entra.url,
    ...extra
  })
  const inspect = { operation: 'inspect', tag: 'v1' }
  const push = { operation: 'push', path: join(work, 'out'), files: 'a.txt', tag: 'v1' }

  const first = await runAction(oidc(push), trusted())
  expect(first.errors).toEqual([])

  await provoke('no id-token permission', oidc(inspect), trusted({}))
  azure.runner.setSubject('repo:octo-org/app:pull_request')
  await provoke('no federated credential', oidc(inspect), trusted())
  azure.runner.setSubject('repo:octo-org/app:ref:refs/heads/main')
  await provoke(
    'unknown application',
    oidc({ ...inspect, 'client-id': '99999999-2222-4333-8444-555555555555' }),
    trusted()
  )
  await provoke(
    'unknown tenant',
    oidc({ ...inspect, 'tenant-id': '99999999-0000-4000-8000-000000000001' }),
    trusted()
  )
  await provoke(
    'token not for the registry',
    oidc({ ...inspect, audience: 'https://management.azure.com/.default' }),
    trusted()
  )
  await provoke('untrusted certificate', oidc(inspect), azure.runner.env())
  await provoke('missing tag', oidc({ ...inspect, tag: 'nope' }), trusted())
  // A name that does not resolve needs a DNS query that leaves this machine
  // (tests stay on loopback): its line is built from the resolver's error code.
  printed.set(
    'unknown host',
    TransportError.from(
      Object.assign(new Error('getaddrinfo ENOTFOUND myregistry.azurecr.io'), {
        code: 'ENOTFOUND'
      }),
      new URL('https://myregistry.azurecr.io/v2/')
    ).message
  )
  await azure.acr.setAttributes({ repository: 'team/app', tag: 'v1' }, { writeEnabled: false })
  await provoke('locked tag', oidc(push), trusted())
  azure.acr.faults.inject({ status: 429, headers: { 'retry-after': '0' }, times: 100 })
  await provoke('throttled', oidc(inspect), trusted())
  azure.acr.faults.clear()
  const password = { registry: passwords.host, repository: 'team/app' }
  await provoke(
    'wrong password',
    { ...password, ...inspect, username: 'reader', password: 'pw-wrong-93ad' },
    trusted({})
  )
  await provoke(
    'role lacks the action',
    { ...password, ...push, tag: 'v2', username: 'reader', password: 'pw-right-7c1f' },
    trusted({})
  )
}, 180_000)

afterAll(async () => {
  await passwords?.stop()
  await azure?.stop()
  await removeTempDir(work)
})

describe('README troubleshooting table', () => {
  it('quotes every line the action prints for the common Entra and ACR errors', () => {
    const patterns = documentedLines().map(rowPattern)
    const unmatched = [...printed].filter(([, line]) => !patterns.some(p => p.test(line)))
    expect(unmatched).toEqual([])
  })

  it('has no row the action does not print', () => {
    const lines = [...printed.values()]
    const stale = documentedLines().filter(row => !lines.some(line => rowPattern(row).test(line)))
    expect(stale).toEqual([])
  })

  it('never shows a secret in those lines', () => {
    const secrets = azure.secrets().filter(secret => secret.length >= 8)
    for (const line of printed.values()) {
      for (const secret of [...secrets, 'pw-right-7c1f', 'pw-wrong-93ad'])
        expect(line).not.toContain(secret)
    }
  })
})
