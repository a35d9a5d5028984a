import { describe, expect, it } from '@jest/globals'
import {
  InvalidReferenceError,
  MAX_NAME_LENGTH,
  compileRepositoryGlob,
  compileTagGlob,
  formatReference,
  parseRegistry,
  validateDigest,
  validateRepository,
  validateTag,
  type RegistryAddress
} from '../../src/registry/reference.js'

const sha256 = `sha256:${'a1'.repeat(32)}`
const sha512 = `sha512:${'0f'.repeat(64)}`

function refusal(check: () => unknown): InvalidReferenceError {
  try {
    check()
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidReferenceError)
    return error as InvalidReferenceError
  }
  throw new Error('expected the value to be refused')
}

describe('parseRegistry', () => {
  const accepted: Array<[string, RegistryAddress]> = [
    [
      'myregistry.azurecr.io',
      {
        scheme: 'https',
        host: 'myregistry.azurecr.io',
        hostname: 'myregistry.azurecr.io',
        baseUrl: 'https://myregistry.azurecr.io',
        loopback: false
      }
    ],
    [
      '  MyRegistry.AzureCR.io  ',
      {
        scheme: 'https',
        host: 'myregistry.azurecr.io',
        hostname: 'myregistry.azurecr.io',
        baseUrl: 'https://myregistry.azurecr.io',
        loopback: false
      }
    ],
    [
      'https://myregistry.azurecr.io/',
      {
        scheme: 'https',
        host: 'myregistry.azurecr.io',
        hostname: 'myregistry.azurecr.io',
        baseUrl: 'https://myregistry.azurecr.io',
        loopback: false
      }
    ],
    [
      'localhost:5000',
      {
        scheme: 'https',
        host: 'localhost:5000',
        hostname: 'localhost',
        port: 5000,
        baseUrl: 'https://localhost:5000',
        loopback: true
      }
    ],
    [
      'HTTP://127.0.0.1:8080',
      {
        scheme: 'http',
        host: '127.0.0.1:8080',
        hostname: '127.0.0.1',
        port: 8080,
        baseUrl: 'http://127.0.0.1:8080',
        loopback: true
      }
    ],
    [
      'http://registry.example.com:65535',
      {
        scheme: 'http',
        host: 'registry.example.com:65535',
        hostname: 'registry.example.com',
        port: 65535,
        baseUrl: 'http://registry.example.com:65535',
        loopback: false
      }
    ],
    [
      '[::1]:5000',
      {
        scheme: 'https',
        host: '[::1]:5000',
        hostname: '::1',
        port: 5000,
        baseUrl: 'https://[::1]:5000',
        loopback: true
      }
    ],
    [
      'http://[0:0:0:0:0:0:0:1]',
      {
        scheme: 'http',
        host: '[::1]',
        hostname: '::1',
        baseUrl: 'http://[::1]',
        loopback: true
      }
    ],
    [
      'https://[2001:DB8::1]:443',
      {
        scheme: 'https',
        host: '[2001:db8::1]:443',
        hostname: '2001:db8::1',
        port: 443,
        baseUrl: 'https://[2001:db8::1]:443',
        loopback: false
      }
    ],
    [
      '10.0.0.5:1',
      {
        scheme: 'https',
        host: '10.0.0.5:1',
        hostname: '10.0.0.5',
        port: 1,
        baseUrl: 'https://10.0.0.5:1',
        loopback: false
      }
    ]
  ]
  it.each(accepted)('parses %j', (input, expected) => {
    expect(parseRegistry(input)).toStrictEqual(expected)
  })

  // Only these may see credentials over plain http, so the edges matter.
  it.each([
    ['localhost', true],
    ['LOCALHOST:80', true],
    ['127.0.0.1', true],
    ['127.0.0.0', true],
    ['127.255.255.254', true],
    ['127.10.20.30:5000', true],
    ['[::1]', true],
    ['[0::1]', true],
    ['126.255.255.255', false],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['[::2]', false],
    ['[::]', false],
    // IPv4-mapped loopback is not in the list of hosts that may see credentials.
    ['[::ffff:127.0.0.1]', false],
    ['localhost.example.com', false],
    ['mylocalhost', false],
    ['127.example.com', false]
  ])('%s is loopback: %s', (input, loopback) => {
    expect(parseRegistry(input).loopback).toBe(loopback)
  })

  it.each([
    ['', 'no address given'],
    ['   ', 'no address given'],
    ['ftp://registry.example.com', 'uses ftp://'],
    ['oci://registry.example.com', 'only https:// (the default) and http://'],
    ['://registry.example.com', 'malformed scheme'],
    ['1http://registry.example.com', 'malformed scheme'],
    ['myregistry.azurecr.io/team', 'has a path'],
    ['https://myregistry.azurecr.io/v2/', 'has a path'],
    ['https://myregistry.azurecr.io//', 'has a path'],
    ['myregistry.azurecr.io?x=1', 'query or fragment'],
    ['https://myregistry.azurecr.io#top', 'query or fragment'],
    ['user@myregistry.azurecr.io', 'user info'],
    ['registry:0', 'a port is a number from 1 to 65535'],
    ['registry:65536', 'a port is a number from 1 to 65535'],
    ['registry:123456', 'a port is a number from 1 to 65535'],
    ['registry:http', 'a port is a number from 1 to 65535'],
    ['registry:', 'a port is a number from 1 to 65535'],
    ['registry:+80', 'a port is a number from 1 to 65535'],
    ['[::1]:0', 'a port is a number from 1 to 65535'],
    [':5000', 'has no host name'],
    ['https://', 'has no host name'],
    ['::1', 'put an IPv6 address in brackets'],
    ['2001:db8::1:5000', 'put an IPv6 address in brackets'],
    ['[::1', 'malformed IPv6 address'],
    ['[::1]5000', 'malformed IPv6 address'],
    ['[zz::1]', 'is not an IPv6 address'],
    ['[fe80::1%eth0]', 'is not an IPv6 address'],
    ['[127.0.0.1]', 'is not an IPv6 address'],
    ['127.1', 'is not an IPv4 address'],
    ['0x7f.0.0.1', 'is not an IPv4 address'],
    ['127.000.0.1', 'is not an IPv4 address'],
    ['256.0.0.1', 'is not an IPv4 address'],
    ['1.2.3.4.5', 'is not an IPv4 address'],
    ['my_registry', 'is not a host name'],
    ['bad..example.com', 'is not a host name'],
    ['-bad.example.com', 'is not a host name'],
    ['bad-.example.com', 'is not a host name'],
    ['ex ample.com', 'is not a host name'],
    ['example.com.', 'is not a host name'],
    ['régistry.example', 'is not a host name'],
    [`${'a'.repeat(64)}.example.com`, 'is not a host name']
  ])('refuses %j: %s', (input, message) => {
    expect(refusal(() => parseRegistry(input)).message).toContain(message)
  })

  it('never echoes user info, which may hold a password', () => {
    const { message } = refusal(() => parseRegistry('https://robot:s3cr3t@myregistry.azurecr.io'))
    expect(message).toContain('user info')
    expect(message).not.toContain('s3cr3t')
    expect(message).not.toContain('robot')
  })
})

describe('validateRepository', () => {
  it.each(['app', 'team/app', 'a.b_c__d--e/f-g', 'a0/b1/c2/d3', 'x'])('accepts %j', name => {
    expect(validateRepository(name, 'myregistry.azurecr.io')).toBe(name)
  })

  it.each([
    ['Team/App', 'repository names are lowercase'],
    ['', 'is not a repository name'],
    ['team//app', 'is not a repository name'],
    ['/app', 'is not a repository name'],
    ['app/', 'is not a repository name'],
    ['a___b', 'is not a repository name'],
    ['-app', 'is not a repository name'],
    ['app-', 'is not a repository name'],
    ['a..b', 'is not a repository name'],
    ['a._b', 'is not a repository name'],
    ['team/app:latest', 'is not a repository name'],
    ['team app', 'is not a repository name']
  ])('refuses %j', (name, message) => {
    const { message: text } = refusal(() => validateRepository(name, 'myregistry.azurecr.io'))
    expect(text).toContain(message)
    expect(text).toContain('separated by /')
  })

  it(`counts host/repository against the ${MAX_NAME_LENGTH} character limit`, () => {
    const host = 'myregistry.azurecr.io'
    const longest = 'a'.repeat(MAX_NAME_LENGTH - host.length - 1)
    expect(validateRepository(longest, host)).toBe(longest)
    expect(refusal(() => validateRepository(`${longest}b`, host)).message).toContain(
      'at most 255 characters, this is 256'
    )
  })
})

describe('validateTag', () => {
  it.each(['latest', 'v1.2.3', '_private', 'A', 'x'.repeat(128), 'sha-0123abc', 'a--b__c..d'])(
    'accepts %j',
    tag => {
      expect(validateTag(tag)).toBe(tag)
    }
  )

  it.each(['', '.hidden', '-rc', 'x'.repeat(129), 'a/b', 'a:b', 'a b', 'a@b', 'ü'])(
    'refuses %j',
    tag => {
      expect(refusal(() => validateTag(tag)).message).toContain(
        'is not a tag: 1 to 128 letters, digits, _, . and -, not starting with . or -'
      )
    }
  )
})

describe('validateDigest', () => {
  it.each([sha256, sha512])('accepts %s', digest => {
    expect(validateDigest(digest)).toBe(digest)
  })

  it.each([
    ['latest', 'is not a digest'],
    ['sha256', 'is not a digest'],
    ['sha256:', 'is not a digest'],
    [`SHA256:${'a'.repeat(64)}`, 'is not a digest'],
    [`sha256 :${'a'.repeat(64)}`, 'is not a digest'],
    [`md5:${'a'.repeat(32)}`, 'uses algorithm md5: only sha256 and sha512 are supported'],
    [`blake3:${'a'.repeat(64)}`, 'uses algorithm blake3'],
    [`sha256+b64u:${'a'.repeat(43)}`, 'uses algorithm sha256+b64u'],
    [`sha256:${'a'.repeat(63)}`, 'sha256: takes 64 lowercase hex digits'],
    [`sha256:${'a'.repeat(65)}`, 'sha256: takes 64 lowercase hex digits'],
    [`sha256:${'A'.repeat(64)}`, 'sha256: takes 64 lowercase hex digits'],
    [`sha256:${'g'.repeat(64)}`, 'sha256: takes 64 lowercase hex digits'],
    [`sha512:${'a'.repeat(64)}`, 'sha512: takes 128 lowercase hex digits']
  ])('refuses %j', (digest, message) => {
    expect(refusal(() => validateDigest(digest)).message).toContain(message)
  })
})

describe('compileRepositoryGlob', () => {
  it.each([
    ['team/*', ['team/app', 'team/a.b-c'], ['team', 'team/a/b', 'teamx/app', 'other/team/app']],
    ['**', ['app', 'team/app', 'a/b/c'], []],
    ['team/**', ['team/a', 'team/a/b'], ['team', 'teamx/a', 'x/team/a']],
    ['**/app', ['app', 'team/app', 'a/b/app'], ['team/apps', 'myapp', 'app/x']],
    ['team/**/app', ['team/app', 'team/x/app', 'team/x/y/app'], ['team/xapp', 'team/app/x']],
    ['team-*', ['team-a', 'team-a.b'], ['team-a/b', 'team']],
    ['*.svc/*', ['a.svc/b'], ['axsvc/b', 'a.svc']],
    ['team/app', ['team/app'], ['team/apps', 'xteam/app']],
    ['**/**', ['a', 'a/b'], []]
  ])('%s', (glob, matching, other) => {
    const regex = compileRepositoryGlob(glob)
    for (const name of matching) expect(name).toMatch(regex)
    for (const name of other) expect(name).not.toMatch(regex)
  })

  it.each([
    ['Team/*', 'is not a repository glob'],
    ['team//*', 'is not a repository glob'],
    ['/team/*', 'is not a repository glob'],
    ['team/*/', 'is not a repository glob'],
    ['*_', 'is not a repository glob'],
    ['-*', 'is not a repository glob'],
    ['team/a?', 'is not a repository glob'],
    ['team/**x', '** must be a whole path segment'],
    ['a**', '** must be a whole path segment']
  ])('refuses %j', (glob, message) => {
    expect(refusal(() => compileRepositoryGlob(glob)).message).toContain(message)
  })
})

describe('compileTagGlob', () => {
  it.each([
    ['v*', ['v1', 'v1.2.3', 'v'], ['xv1', 'V1']],
    ['pr-?', ['pr-1', 'pr-a'], ['pr-12', 'pr-']],
    ['release.*', ['release.1'], ['releasex1', 'release']],
    ['*-rc', ['1.0-rc'], ['1.0-rc1']],
    ['latest', ['latest'], ['latest2', 'alatest']]
  ])('%s', (glob, matching, other) => {
    const regex = compileTagGlob(glob)
    for (const tag of matching) expect(tag).toMatch(regex)
    for (const tag of other) expect(tag).not.toMatch(regex)
  })

  it.each(['', 'v1 beta', 'v1,v2', 'a/b', '[abc]', 'x'.repeat(129)])('refuses %j', glob => {
    expect(refusal(() => compileTagGlob(glob)).message).toContain('is not a tag glob')
  })
})

describe('formatReference', () => {
  it.each([
    ['myregistry.azurecr.io', 'team/app', `myregistry.azurecr.io/team/app@${sha256}`],
    ['http://localhost:5000', 'app', `localhost:5000/app@${sha256}`],
    ['[::1]:5000', 'a/b', `[::1]:5000/a/b@${sha256}`]
  ])('%s + %s', (registry, repository, expected) => {
    expect(formatReference(parseRegistry(registry), repository, sha256)).toBe(expected)
  })

  it('accepts a host string as well', () => {
    expect(formatReference('localhost:5000', 'app', sha512)).toBe(`localhost:5000/app@${sha512}`)
  })
})
