// What a files push will send, planned from the disk alone: layer titles,
// the config, the artifact type and the manifest's annotations, and bad
// inputs failing as input errors that name the input.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, isAbsolute, join, relative } from 'node:path'
import { InputError } from '../../src/inputs.js'
import { defaultArtifactType, planFiles } from '../../src/operations/push/files-plan.js'
import { mediaTypes } from '../../src/registry/media-types.js'
import { makeTempDir, removeTempDir } from '../../test/rig/cleanup.js'

const sha256 = (bytes: Buffer | string): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`

let root: string
let base: string
const configBytes = Buffer.from('{"architecture":"none","note":"a config of our own"}')

beforeAll(async () => {
  root = await makeTempDir('plan')
  base = join(root, 'my-artifact')
  await mkdir(join(base, 'bin'), { recursive: true })
  await mkdir(join(base, 'docs', 'guide'), { recursive: true })
  await writeFile(join(base, 'bin', 'tool'), 'binary bytes')
  await writeFile(join(base, 'docs', 'guide', 'index.md'), '# guide')
  await writeFile(join(base, 'notes.txt'), 'notes')
  await writeFile(join(base, 'config.json'), configBytes)
  await writeFile(join(base, 'odd:name.json'), configBytes)
})

afterAll(async () => {
  await removeTempDir(root)
})

const plan = (
  inputs: { files: string[]; path?: string; config?: string; artifactType?: string } & {
    annotations?: Record<string, string>
  },
  env: NodeJS.ProcessEnv = {}
) =>
  planFiles(
    {
      path: inputs.path ?? base,
      files: inputs.files,
      annotations: inputs.annotations ?? {},
      ...(inputs.config === undefined ? {} : { config: inputs.config }),
      ...(inputs.artifactType === undefined ? {} : { artifactType: inputs.artifactType })
    },
    env
  )

const inputError = (promise: Promise<unknown>): Promise<InputError> =>
  promise.then(
    () => {
      throw new Error('expected an InputError')
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(InputError)
      return error as InputError
    }
  )

describe('planFiles: layers', () => {
  it('titles files with their path relative to `path`', async () => {
    const { layers } = await plan({ files: ['bin/tool', 'notes.txt'] })
    expect(layers).toEqual([
      { kind: 'file', path: join(base, 'bin', 'tool'), title: 'bin/tool', size: 12 },
      { kind: 'file', path: join(base, 'notes.txt'), title: 'notes.txt', size: 5 }
    ])
  })

  it('titles a folder layer with its relative path', async () => {
    const { layers } = await plan({ files: ['docs/guide', 'docs'] })
    expect(layers).toEqual([
      { kind: 'folder', path: join(base, 'docs', 'guide'), title: 'docs/guide' },
      { kind: 'folder', path: join(base, 'docs'), title: 'docs' }
    ])
  })

  it("titles the base folder itself ('.') with the folder's name", async () => {
    const { layers } = await plan({ files: ['.'] })
    expect(layers).toEqual([{ kind: 'folder', path: base, title: basename(base) }])
    expect(basename(base)).toBe('my-artifact')
  })

  it('expands globs relative to `path`', async () => {
    const { layers } = await plan({ files: ['**/*.md', '*.txt'] })
    expect(layers.map(l => l.title)).toEqual(['docs/guide/index.md', 'notes.txt'])
  })
})

describe('planFiles: config and artifact type', () => {
  it('uses the empty config {} and the unknown artifact type when neither is given', async () => {
    const { config, artifactType } = await plan({ files: ['notes.txt'] })
    expect(config.mediaType).toBe(mediaTypes.ociEmpty)
    expect(config.mediaType).toBe('application/vnd.oci.empty.v1+json')
    expect(config.bytes.toString()).toBe('{}')
    expect(config.digest).toBe(sha256('{}'))
    expect(artifactType).toBe(defaultArtifactType)
    expect(artifactType).toBe('application/vnd.unknown.artifact.v1')
  })

  it('keeps an artifact type that is given', async () => {
    const { artifactType, config } = await plan({
      files: ['notes.txt'],
      artifactType: 'application/vnd.example.thing.v1'
    })
    expect(artifactType).toBe('application/vnd.example.thing.v1')
    expect(config.mediaType).toBe(mediaTypes.ociEmpty)
  })

  it('reads `config: file`, relative to the working directory, with its digest', async () => {
    const configPath = relative(process.cwd(), join(base, 'config.json'))
    expect(isAbsolute(configPath)).toBe(false)
    const { config, artifactType } = await plan({ files: ['notes.txt'], config: configPath })
    expect(config.bytes.equals(configBytes)).toBe(true)
    expect(config.digest).toBe(sha256(configBytes))
    // A config of no stated type is not claimed to be an image config.
    expect(config.mediaType).toBe('application/vnd.unknown.config.v1+json')
    // Without an artifact type of its own, the config's type says what it is: none is written.
    expect(artifactType).toBeUndefined()
  })

  it('takes the media type from `config: file:media/type`', async () => {
    const type = 'application/vnd.example.config.v1+json'
    const { config, artifactType } = await plan({
      files: ['notes.txt'],
      config: `${join(base, 'config.json')}:${type}`
    })
    expect(config.mediaType).toBe(type)
    expect(config.bytes.equals(configBytes)).toBe(true)
    expect(config.digest).toBe(sha256(configBytes))
    expect(artifactType).toBeUndefined()

    const typed = await plan({
      files: ['notes.txt'],
      config: `${join(base, 'config.json')}:${type}`,
      artifactType: 'application/vnd.example.thing.v1'
    })
    expect(typed.config.mediaType).toBe(type)
    expect(typed.artifactType).toBe('application/vnd.example.thing.v1')
  })

  it('reads a colon in a file name as part of the name when no media type follows', async () => {
    const { config } = await plan({ files: ['notes.txt'], config: join(base, 'odd:name.json') })
    expect(config.bytes.equals(configBytes)).toBe(true)
  })

  it('fails naming `config` when the config file is missing', async () => {
    const error = await inputError(
      plan({ files: ['notes.txt'], config: join(base, 'absent.json') })
    )
    expect(error.input).toBe('config')
    expect(error.message).toContain('absent.json')
    const typed = await inputError(
      plan({
        files: ['notes.txt'],
        config: `${join(base, 'absent.json')}:application/vnd.example+json`
      })
    )
    expect(typed.input).toBe('config')
  })
})

describe('planFiles: annotations', () => {
  const workflow = {
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_REPOSITORY: 'owner/repo',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567'
  }

  it('adds the source and revision of the workflow run', async () => {
    const { annotations } = await plan({ files: ['notes.txt'] }, workflow)
    expect(annotations).toEqual({
      'org.opencontainers.image.source': 'https://github.example/owner/repo',
      'org.opencontainers.image.revision': workflow.GITHUB_SHA
    })
  })

  it('lets the user annotations override them', async () => {
    const { annotations } = await plan(
      {
        files: ['notes.txt'],
        annotations: { 'org.opencontainers.image.revision': 'v1.2.3', 'com.example.team': 'core' }
      },
      workflow
    )
    expect(annotations).toEqual({
      'org.opencontainers.image.source': 'https://github.example/owner/repo',
      'org.opencontainers.image.revision': 'v1.2.3',
      'com.example.team': 'core'
    })
  })

  it('adds nothing outside a workflow, and the same inputs plan the same', async () => {
    const first = await plan({ files: ['notes.txt', 'docs'] })
    expect(first.annotations).toEqual({})
    expect(await plan({ files: ['notes.txt', 'docs'] })).toEqual(first)
  })

  it('needs both the server and the repository for the source', async () => {
    const { annotations } = await plan(
      { files: ['notes.txt'] },
      { GITHUB_REPOSITORY: 'owner/repo', GITHUB_SHA: 'abc' }
    )
    expect(annotations).toEqual({ 'org.opencontainers.image.revision': 'abc' })
  })
})

describe('planFiles: bad paths', () => {
  it('turns a glob that matches nothing into an input error naming `files`', async () => {
    const error = await inputError(plan({ files: ['*.none'] }))
    expect(error.input).toBe('files')
    expect(error.message).toContain('"*.none"')
  })

  it('turns a missing path or one that leads outside into an input error naming `files`', async () => {
    expect((await inputError(plan({ files: ['gone.txt'] }))).input).toBe('files')
    const outside = await inputError(plan({ files: ['../elsewhere'] }))
    expect(outside.input).toBe('files')
    expect(outside.message).toContain('"../elsewhere"')
  })

  it('names `path` when it is not a folder', async () => {
    const error = await inputError(plan({ files: ['notes.txt'], path: join(base, 'notes.txt') }))
    expect(error.input).toBe('path')
  })
})
