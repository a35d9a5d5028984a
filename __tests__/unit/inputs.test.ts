import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { readFileSync } from 'node:fs'

// The real getInput (so the INPUT_* naming is exercised), watched; setSecret recorded
// instead of printing ::add-mask:: lines.
const actual = await import('@actions/core')
const getInput = jest.fn(actual.getInput)
const setSecret = jest.fn<(secret: string) => void>()
jest.unstable_mockModule('@actions/core', () => ({ ...actual, getInput, setSecret }))
const { InputError, readInputs } = await import('../../src/inputs.js')

type Values = Record<string, string>

interface BadCase {
  why: string
  inputs: Values
  env?: Values
  input: string
  message: string[]
  absent?: string[]
}

const badCases = JSON.parse(
  readFileSync(new URL('../fixtures/bad-inputs.json', import.meta.url), 'utf8')
) as BadCase[]

const sha256 = `sha256:${'a1'.repeat(32)}`
const sha512 = `sha512:${'0f'.repeat(64)}`
const registry = 'myregistry.azurecr.io'
const address = {
  scheme: 'https',
  host: registry,
  hostname: registry,
  baseUrl: `https://${registry}`,
  loopback: false
}
const common = { registry: address, auth: { mode: 'anonymous' }, summary: true, concurrency: 8 }

// Inputs and the Azure variables the runner might have set; each test starts without them.
const isOurs = (name: string): boolean => name.startsWith('INPUT_') || name.startsWith('AZURE_')
let saved: Values

beforeEach(() => {
  saved = { ...process.env } as Values
  for (const name of Object.keys(process.env)) if (isOurs(name)) delete process.env[name]
  getInput.mockClear()
  setSecret.mockClear()
})

afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
  Object.assign(process.env, saved)
})

function read(inputs: Values, env: Values = {}): ReturnType<typeof readInputs> {
  for (const [name, value] of Object.entries(inputs)) {
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  Object.assign(process.env, env)
  return readInputs()
}

function failure(inputs: Values, env: Values = {}): InstanceType<typeof InputError> {
  try {
    read(inputs, env)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InstanceType<typeof InputError>
  }
  throw new Error('expected readInputs to refuse these inputs')
}

describe('readInputs refuses', () => {
  it.each(badCases)('$why', ({ inputs, env, input, message, absent = [] }) => {
    const error = failure(inputs, env)
    expect(error.input).toBe(input)
    expect(error.message.startsWith(`Input '${input}': `)).toBe(true)
    for (const part of message) expect(error.message).toContain(part)
    for (const part of absent) expect(error.message).not.toContain(part)
  })
})

describe('readInputs per operation', () => {
  it('push: files, with defaults', () => {
    expect(
      read({ operation: 'push', registry, repository: 'team/app', files: 'dist/**' })
    ).toStrictEqual({
      operation: 'push',
      ...common,
      repository: 'team/app',
      tags: [],
      content: { kind: 'files', files: ['dist/**'] },
      path: '.',
      annotations: {}
    })
  })

  it('push: everything given', () => {
    const inputs = read({
      operation: 'Push',
      registry,
      repository: 'team/app',
      tag: 'v1, latest\nv1\n\n,',
      files: 'a.txt\n\n  dir one/ \r\nb, c.txt',
      path: 'out',
      'artifact-type': 'application/vnd.example.sbom+json',
      annotations: 'org.opencontainers.image.source = https://x/y?a=b\n\n__proto__=kept\nempty=',
      config: 'config.json',
      subject: sha256
    })
    expect(inputs).toStrictEqual({
      operation: 'push',
      ...common,
      repository: 'team/app',
      tags: ['v1', 'latest'],
      content: { kind: 'files', files: ['a.txt', 'dir one/', 'b, c.txt'] },
      path: 'out',
      artifactType: 'application/vnd.example.sbom+json',
      annotations: Object.fromEntries([
        ['org.opencontainers.image.source', 'https://x/y?a=b'],
        ['__proto__', 'kept'],
        ['empty', '']
      ]),
      config: 'config.json',
      subject: sha256
    })
    expect(Object.getPrototypeOf(inputs.operation === 'push' && inputs.annotations)).toBe(
      Object.prototype
    )
  })

  it('push: an OCI layout', () => {
    expect(
      read({ operation: 'push', registry, repository: 'app', 'oci-layout': 'image.tar', tag: 'v1' })
    ).toMatchObject({ content: { kind: 'oci-layout', path: 'image.tar' }, tags: ['v1'] })
  })

  it('set-manifest: by tags, or by digest only', () => {
    const base = { operation: 'set-manifest', registry, repository: 'app', manifest: 'm.json' }
    expect(read({ ...base, tag: 'a\nb' })).toStrictEqual({
      operation: 'set-manifest',
      ...common,
      repository: 'app',
      tags: ['a', 'b'],
      manifest: 'm.json'
    })
    expect(read({ ...base, tag: '' })).toMatchObject({ tags: [] })
  })

  it('pull: by tag, with defaults', () => {
    expect(read({ operation: 'pull', registry, repository: 'app', tag: 'v1' })).toStrictEqual({
      operation: 'pull',
      ...common,
      target: { kind: 'tag', repository: 'app', tag: 'v1' },
      path: '.',
      format: 'files',
      platform: { os: 'linux', architecture: 'amd64' },
      platformGiven: false,
      cache: true
    })
  })

  it('pull: by digest, everything given', () => {
    expect(
      read({
        operation: 'pull',
        registry,
        repository: 'app',
        digest: sha512,
        path: 'out',
        format: 'OCI-Layout',
        platform: 'linux/arm64/v8',
        cache: 'FALSE'
      })
    ).toMatchObject({
      target: { kind: 'digest', repository: 'app', digest: sha512 },
      path: 'out',
      format: 'oci-layout',
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      platformGiven: true,
      cache: false
    })
  })

  it('lock: the repository, default attributes', () => {
    expect(read({ operation: 'lock', registry, repository: 'app' })).toStrictEqual({
      operation: 'lock',
      ...common,
      target: { kind: 'repository', repository: 'app' },
      attributes: ['write', 'delete']
    })
  })

  it('unlock: a digest, attributes listed with commas and lines', () => {
    expect(
      read({
        operation: 'unlock',
        registry,
        repository: 'app',
        digest: sha256,
        'lock-attributes': 'read\nlist, READ'
      })
    ).toMatchObject({
      operation: 'unlock',
      target: { kind: 'digest', repository: 'app', digest: sha256 },
      attributes: ['read', 'list']
    })
  })

  it('lock: several tags at once', () => {
    expect(
      read({ operation: 'lock', registry, repository: 'app', tag: 'v1\nv2, v1' })
    ).toMatchObject({
      target: { kind: 'tags', repository: 'app', tags: ['v1', 'v2'] }
    })
  })

  it('delete: force, any case', () => {
    expect(
      read({ operation: 'delete', registry, repository: 'app', digest: sha256, force: 'TRUE' })
    ).toMatchObject({ force: true })
  })

  it('lock: a tag', () => {
    expect(read({ operation: 'lock', registry, repository: 'app', tag: ' v1 ,' })).toMatchObject({
      target: { kind: 'tag', repository: 'app', tag: 'v1' }
    })
  })

  it.each([
    [{ tag: 'v1' }, { kind: 'tag', repository: 'app', tag: 'v1' }],
    [{ digest: sha256 }, { kind: 'digest', repository: 'app', digest: sha256 }],
    [{}, { kind: 'repository', repository: 'app' }]
  ])('delete: %j', (given, target) => {
    expect(read({ operation: 'delete', registry, repository: 'app', ...given })).toStrictEqual({
      operation: 'delete',
      ...common,
      target,
      dryRun: false,
      force: false
    })
  })

  it('delete: dry-run, any case', () => {
    expect(
      read({ operation: 'delete', registry, repository: 'app', 'dry-run': 'True' })
    ).toMatchObject({ dryRun: true })
  })

  it.each([
    [{}, { kind: 'catalog' }],
    [{ repository: 'team/app' }, { kind: 'repository', repository: 'team/app' }],
    [
      { repository: 'app', tag: 'v1' },
      { kind: 'tag', repository: 'app', tag: 'v1' }
    ],
    [
      { repository: 'app', digest: sha512 },
      { kind: 'digest', repository: 'app', digest: sha512 }
    ]
  ])('inspect: %j', (given, target) => {
    expect(read({ operation: 'inspect', registry, ...given })).toStrictEqual({
      operation: 'inspect',
      ...common,
      target,
      platform: { os: 'linux', architecture: 'amd64' }
    })
  })

  it('prune: a repository, with defaults', () => {
    expect(
      read({ operation: 'prune', registry, repository: 'team/app', 'keep-count': '10' })
    ).toStrictEqual({
      operation: 'prune',
      ...common,
      repositories: { kind: 'name', name: 'team/app' },
      keepCount: 10,
      excludeTags: [],
      untagged: 'allow',
      includeLocked: false,
      dryRun: false,
      maxDeletions: 1000
    })
  })

  it.each([
    ['true', 'allow'],
    ['FALSE', 'keep'],
    ['only', 'only']
  ])('prune: untagged %s', (untagged, expected) => {
    expect(
      read({ operation: 'prune', registry, repository: 'app', 'keep-count': '1', untagged })
    ).toMatchObject({ untagged: expected })
  })

  it('prune: protect-pr-tags may hold * as a glob', () => {
    expect(
      read({
        operation: 'prune',
        registry,
        repository: 'app',
        'keep-count': '1',
        'protect-pr-tags': 'pr-{number}-*',
        'github-token': 'ghs_token'
      })
    ).toMatchObject({ protectPrTags: { template: 'pr-{number}-*' } })
  })

  it('prune: everything given', () => {
    const inputs = read({
      operation: 'prune',
      registry,
      repository: 'team/**',
      'keep-count': '0',
      'allow-delete-all': 'TRUE',
      'older-than': '2w',
      'tag-pattern': 'v\\d+|rc',
      'exclude-tags': 'latest\nrelease-*, v?',
      untagged: 'false',
      'include-locked': 'true',
      'dry-run': 'true',
      'max-deletions': '5',
      shard: '1/3',
      'protect-pr-tags': 'pr-{number}',
      'github-token': 'ghs_token'
    })
    if (inputs.operation !== 'prune') throw new Error('expected prune')
    expect(inputs).toMatchObject({
      repositories: { kind: 'glob', glob: 'team/**' },
      keepCount: 0,
      olderThanMs: 14 * 24 * 3_600_000,
      tagPattern: { source: 'v\\d+|rc' },
      untagged: 'keep',
      includeLocked: true,
      dryRun: true,
      maxDeletions: 5,
      shard: { index: 1, count: 3 },
      protectPrTags: { template: 'pr-{number}', githubToken: 'ghs_token' }
    })
    const { repositories, tagPattern, excludeTags } = inputs
    expect(repositories.kind === 'glob' && repositories.regex.test('team/a/b')).toBe(true)
    expect(repositories.kind === 'glob' && repositories.regex.test('other/a')).toBe(false)
    // Anchored around the whole alternation, not just its ends.
    expect(['v12', 'rc'].map(tag => tagPattern?.regex.test(tag))).toEqual([true, true])
    expect(['v12x', 'xrc', 'v'].map(tag => tagPattern?.regex.test(tag))).toEqual([
      false,
      false,
      false
    ])
    expect(excludeTags.map(pattern => pattern.source)).toEqual(['latest', 'release-*', 'v?'])
    const excluded = (tag: string): boolean => excludeTags.some(pattern => pattern.regex.test(tag))
    expect(['latest', 'release-2024', 'v1'].every(excluded)).toBe(true)
    expect(['latest2', 'v10', 'myrelease-1'].some(excluded)).toBe(false)
  })

  it.each([
    ['90m', 90 * 60_000],
    ['12h', 12 * 3_600_000],
    ['30d', 30 * 86_400_000],
    ['5217w', 5217 * 7 * 86_400_000],
    ['36525d', 36_525 * 86_400_000]
  ])('prune: older-than %s', (olderThan, ms) => {
    expect(
      read({
        operation: 'prune',
        registry,
        repository: 'app',
        'keep-count': '1',
        'older-than': olderThan
      })
    ).toMatchObject({ olderThanMs: ms })
  })

  it.each([
    ['0/1', { index: 0, count: 1 }],
    ['3/4', { index: 3, count: 4 }]
  ])('prune: shard %s', (shard, expected) => {
    expect(
      read({ operation: 'prune', registry, repository: '**', 'keep-count': '1', shard })
    ).toMatchObject({
      shard: expected
    })
  })
})

describe('readInputs: sign-in', () => {
  const oidcDefaults = {
    mode: 'oidc',
    cloud: 'AzureCloud',
    authorityHost: 'https://login.microsoftonline.com',
    audience: 'https://containerregistry.azure.net/.default',
    oidcAudience: 'api://AzureADTokenExchange'
  }

  it('auto: anonymous without credentials', () => {
    expect(read({ operation: 'inspect', registry }).auth).toStrictEqual({ mode: 'anonymous' })
  })

  it('auto: password when username is set', () => {
    expect(
      read({ operation: 'inspect', registry, username: 'robot', password: 'pw' }).auth
    ).toStrictEqual({
      mode: 'password',
      username: 'robot',
      password: 'pw'
    })
  })

  it('auto: password wins over a known client and tenant', () => {
    const inputs = read(
      { operation: 'inspect', registry, username: 'robot', password: 'pw' },
      { AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't' }
    )
    expect(inputs.auth.mode).toBe('password')
  })

  it('auto: oidc from the environment, public cloud defaults', () => {
    expect(
      read(
        { operation: 'inspect', registry },
        { AZURE_CLIENT_ID: 'client', AZURE_TENANT_ID: 'tenant' }
      ).auth
    ).toStrictEqual({ ...oidcDefaults, clientId: 'client', tenantId: 'tenant' })
  })

  it('inputs win over the environment', () => {
    expect(
      read(
        {
          operation: 'inspect',
          registry,
          'client-id': '00000000-0000-0000-0000-000000000001',
          'tenant-id': 'contoso.onmicrosoft.com'
        },
        { AZURE_CLIENT_ID: 'env-client', AZURE_TENANT_ID: 'env-tenant' }
      ).auth
    ).toMatchObject({
      clientId: '00000000-0000-0000-0000-000000000001',
      tenantId: 'contoso.onmicrosoft.com'
    })
  })

  it.each([
    [
      'azurechinacloud',
      'AzureChinaCloud',
      'https://login.chinacloudapi.cn',
      'https://containerregistry.azure.cn/.default'
    ],
    [
      'AzureUSGovernment',
      'AzureUSGovernment',
      'https://login.microsoftonline.us',
      'https://containerregistry.azure.us/.default'
    ],
    [
      'AzureCloud',
      'AzureCloud',
      'https://login.microsoftonline.com',
      'https://containerregistry.azure.net/.default'
    ]
  ])('cloud %s', (given, cloud, authorityHost, audience) => {
    expect(
      read({ operation: 'inspect', registry, 'client-id': 'c', 'tenant-id': 't', cloud }).auth
    ).toStrictEqual({
      ...oidcDefaults,
      clientId: 'c',
      tenantId: 't',
      cloud,
      authorityHost,
      audience
    })
    expect(given.toLowerCase()).toBe(cloud.toLowerCase())
  })

  it('authority host from AZURE_AUTHORITY_HOST, the input winning over it', () => {
    const base = {
      operation: 'inspect',
      registry,
      auth: 'oidc',
      'client-id': 'c',
      'tenant-id': 't'
    }
    const env = { AZURE_AUTHORITY_HOST: 'https://Login.Example.test:8443/' }
    expect(read(base, env).auth).toMatchObject({ authorityHost: 'https://login.example.test:8443' })
    expect(read({ ...base, 'authority-host': 'localhost:9443' }, env).auth).toMatchObject({
      authorityHost: 'https://localhost:9443'
    })
  })

  it('audience and oidc-audience override the defaults', () => {
    expect(
      read({
        operation: 'inspect',
        registry,
        'client-id': 'c',
        'tenant-id': 't',
        audience: 'https://example.test/.default',
        'oidc-audience': 'api://custom'
      }).auth
    ).toMatchObject({ audience: 'https://example.test/.default', oidcAudience: 'api://custom' })
  })

  it('an explicit mode ignores credentials of other modes', () => {
    const inputs = read(
      { operation: 'inspect', registry, auth: 'Anonymous', username: 'u', password: 'p' },
      { AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't' }
    )
    expect(inputs.auth).toStrictEqual({ mode: 'anonymous' })
  })

  it.each([
    ['http://localhost:5000', { username: 'u', password: 'p' }],
    ['http://127.0.0.1:5000', { auth: 'oidc', 'client-id': 'c', 'tenant-id': 't' }],
    ['http://127.3.2.1', { username: 'u', password: 'p' }],
    ['http://[::1]:5000', { username: 'u', password: 'p' }],
    ['http://registry.example.com', {}],
    ['http://registry.example.com', { auth: 'anonymous', username: 'u', password: 'p' }]
  ])('plain http to %s is allowed with %j', (address, credentials) => {
    expect(read({ operation: 'inspect', registry: address, ...credentials }).registry.scheme).toBe(
      'http'
    )
  })

  it('masks the password as soon as it is read, even when a later input fails', () => {
    failure({
      operation: 'inspect',
      registry: 'http://registry.example.com',
      username: 'u',
      password: 'hunter2'
    })
    expect(setSecret).toHaveBeenCalledWith('hunter2')
  })

  it('masks the github token', () => {
    read({
      operation: 'prune',
      registry,
      repository: 'app',
      'keep-count': '1',
      'protect-pr-tags': 'pr-{number}',
      'github-token': 'ghs_secret'
    })
    expect(setSecret).toHaveBeenCalledWith('ghs_secret')
  })

  it('masks nothing when no secret is given', () => {
    read({ operation: 'inspect', registry })
    expect(setSecret).not.toHaveBeenCalled()
  })
})

describe('readInputs ignores what an operation does not use', () => {
  it.each([
    [
      'push',
      {
        repository: 'app',
        files: 'a',
        digest: 'nonsense',
        'keep-count': 'x',
        format: 'tar',
        cache: 'maybe'
      }
    ],
    ['pull', { repository: 'app', tag: 'v1', files: 'a', 'oci-layout': 'b', 'dry-run': 'y' }],
    ['lock', { repository: 'app', 'keep-count': '-1', platform: 'bad', annotations: 'x' }],
    ['inspect', { 'lock-attributes': 'execute', shard: '9/1', 'artifact-type': 'x' }],
    ['prune', { repository: 'app', 'keep-count': '1', tag: 'bad tag', digest: 'x', platform: 'x' }],
    ['prune', { repository: 'app', 'keep-count': '1', tag: 'v1', digest: sha256 }],
    ['inspect', { cloud: 'Mars', 'authority-host': 'ftp://x', 'tenant-id': '' }]
  ])('%s with %j', (operation, inputs) => {
    expect(read({ operation, registry, ...inputs }).operation).toBe(operation)
  })
})

// action.yml is what the runner reads: its defaults must be the ones the code assumes
// when an input is empty, and it must declare every input the code reads.
describe('action.yml', () => {
  const declared = readActionInputs()

  it('declares every input the code reads', () => {
    for (const [operation, inputs] of Object.entries(fullInputs())) {
      getInput.mockClear()
      // With a client and tenant id, so that the OIDC inputs are read too.
      read({ operation, registry, 'client-id': 'c', 'tenant-id': 't', ...inputs })
      for (const [name] of getInput.mock.calls) expect(Object.keys(declared)).toContain(name)
      for (const name of Object.keys(process.env)) if (isOurs(name)) delete process.env[name]
    }
  })

  it.each(Object.entries(fullInputs()))('%s: its defaults match the code', (operation, inputs) => {
    const minimal = { operation, registry, ...inputs }
    const withoutDefaults = read(minimal)
    for (const name of Object.keys(process.env)) if (isOurs(name)) delete process.env[name]
    const defaults = Object.fromEntries(
      Object.entries(declared).map(([name, value]) => [
        name,
        value.replace('${{ github.token }}', 'ghs_default')
      ])
    )
    const withDefaults = read({ ...defaults, ...minimal })
    expect(withDefaults).toStrictEqual(withoutDefaults)
  })

  it('runs on node24 from dist/index.js', () => {
    const text = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')
    expect(text).toMatch(/^runs:\n {2}using: node24\n {2}main: dist\/index\.js$/m)
  })
})

/** The least each operation needs, so that every optional input takes its default. */
function fullInputs(): Record<string, Values> {
  return {
    push: { repository: 'app', files: 'a' },
    'set-manifest': { repository: 'app', manifest: 'm.json' },
    pull: { repository: 'app', tag: 'v1' },
    lock: { repository: 'app' },
    unlock: { repository: 'app', digest: sha256 },
    delete: { repository: 'app' },
    inspect: {},
    // No code default for the token: the runner supplies the workflow's.
    prune: {
      repository: 'team/*',
      'keep-count': '3',
      'protect-pr-tags': 'pr-{number}',
      'github-token': 'ghs_given'
    }
  }
}

/** Input names of action.yml with their defaults ('' when none); a tiny reader for its layout. */
function readActionInputs(): Values {
  const text = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')
  const section = /^inputs:\n([\s\S]*?)^\S/m.exec(text)?.[1] ?? ''
  const inputs: Values = {}
  let current: string | undefined
  for (const line of section.split('\n')) {
    const name = /^ {2}([a-z-]+):$/.exec(line)?.[1]
    if (name !== undefined) {
      current = name
      inputs[name] = ''
    }
    const value = /^ {4}default: (.*)$/.exec(line)?.[1]
    if (value !== undefined && current !== undefined) {
      inputs[current] = value.replace(/^'(.*)'$/, '$1')
    }
  }
  return inputs
}
