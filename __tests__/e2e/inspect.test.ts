// `inspect` end to end: the bundled dist/index.js, run as the runner runs it,
// against the real distribution registry holding images pushed by skopeo.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from '../../test/action/run-action.js'
import { buildImage, pushImage, pushIndex, skopeoInspect } from '../../test/rig/images.js'
import { startRegistry, type Registry } from '../../test/rig/registry.js'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'acr-e2e-inspect-'))
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('inspect on a plain registry', () => {
  let registry: Registry
  let index: { digest: string; children: Array<{ os: string; arch: string; digest: string }> }

  beforeAll(async () => {
    registry = await startRegistry()
    const layout = await buildImage({
      dir: join(work, 'plain'),
      files: { 'app/hello.txt': 'hello\n' },
      annotations: { 'org.opencontainers.image.source': 'https://example.invalid/app' }
    })
    await pushImage(registry, layout, 'team/app:v1')
    await pushImage(registry, layout, 'team/app:v2')
    index = await pushIndex(registry, 'team/multi:v1', [
      { os: 'linux', arch: 'amd64' },
      { os: 'linux', arch: 'arm64' }
    ])
  })

  afterAll(async () => {
    await registry.stop()
  })

  const base = (): Record<string, string> => ({
    operation: 'inspect',
    registry: registry.url,
    summary: 'true'
  })

  it('prints the digest skopeo reports for a tag, with outputs and a summary', async () => {
    const run = await runAction({ ...base(), repository: 'team/app', tag: 'v1' })
    const skopeo = await skopeoInspect(registry, 'team/app:v1')
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.digest).toBe(skopeo.digest)
    expect(run.stdout).toContain(skopeo.digest)

    const result = JSON.parse(run.outputs.result ?? '{}') as Record<string, unknown>
    const manifest = skopeo.raw as { layers: Array<{ digest: string }>; config: { digest: string } }
    expect(result).toMatchObject({
      operation: 'inspect',
      digest: skopeo.digest,
      kind: 'manifest',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      reference: `${registry.host}/team/app@${skopeo.digest}`,
      config: { digest: manifest.config.digest }
    })
    expect((result.layers as Array<{ digest: string }>).map(l => l.digest)).toEqual(
      manifest.layers.map(l => l.digest)
    )
    expect(run.summary).toContain(skopeo.digest)
    expect(run.summary).toContain('<h3>Layers</h3>')
    expect(run.summary).toContain('org.opencontainers.image.source')
  })

  it('inspects by digest', async () => {
    const skopeo = await skopeoInspect(registry, 'team/app:v1')
    const run = await runAction({ ...base(), repository: 'team/app', digest: skopeo.digest })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.digest).toBe(skopeo.digest)
  })

  it('lists the platforms of an index and picks the requested one', async () => {
    const run = await runAction({
      ...base(),
      repository: 'team/multi',
      tag: 'v1',
      platform: 'linux/arm64'
    })
    expect(run.exitCode).toBe(0)
    expect(run.outputs.digest).toBe(index.digest)
    const result = JSON.parse(run.outputs.result ?? '{}') as {
      kind: string
      manifests: Array<{ platform: string; digest: string }>
      platformDigest: string
    }
    expect(result.kind).toBe('index')
    expect(result.manifests).toEqual(
      index.children.map(c =>
        expect.objectContaining({ platform: `${c.os}/${c.arch}`, digest: c.digest })
      )
    )
    expect(result.platformDigest).toBe(index.children.find(c => c.arch === 'arm64')?.digest)
    expect(run.summary).toContain('linux/arm64')
  })

  it('lists the tags of a repository', async () => {
    const run = await runAction({ ...base(), repository: 'team/app' })
    expect(run.exitCode).toBe(0)
    const result = JSON.parse(run.outputs.result ?? '{}') as { tags: string[] }
    expect(result.tags.sort()).toEqual(['v1', 'v2'])
    expect(run.outputs.digest).toBeUndefined()
  })

  it('lists the catalog without a repository', async () => {
    const run = await runAction(base())
    expect(run.exitCode).toBe(0)
    const result = JSON.parse(run.outputs.result ?? '{}') as { repositories: string[] }
    expect(result.repositories.sort()).toEqual(['team/app', 'team/multi'])
  })

  it('fails with one error line that names a missing tag', async () => {
    const run = await runAction({ ...base(), repository: 'team/app', tag: 'nope' })
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(/team\/app:nope not found: no such tag/)
  })

  it('writes no summary when told not to', async () => {
    const run = await runAction({ ...base(), repository: 'team/app', tag: 'v1', summary: 'false' })
    expect(run.exitCode).toBe(0)
    expect(run.summary).toBe('')
  })
})

describe('inspect with credentials and TLS', () => {
  let registry: Registry
  const password = 'e2e-Secret-Password-7'

  beforeAll(async () => {
    registry = await startRegistry({ tls: true, auth: { username: 'ci', password } })
    const layout = await buildImage({ dir: join(work, 'secure'), files: { f: 'x' } })
    await pushImage(registry, layout, 'secure/app:v1')
  })

  afterAll(async () => {
    await registry.stop()
  })

  const inputs = (): Record<string, string> => ({
    operation: 'inspect',
    registry: registry.host,
    repository: 'secure/app',
    tag: 'v1',
    username: 'ci',
    password
  })

  it('signs in over TLS with a trusted private CA and never prints the password', async () => {
    const run = await runAction(inputs(), { NODE_EXTRA_CA_CERTS: registry.caFile ?? '' })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.digest).toBe((await skopeoInspect(registry, 'secure/app:v1')).digest)
    expect(run.visible).not.toContain(password)
    expect(run.visible).not.toContain(Buffer.from(`ci:${password}`).toString('base64'))
    expect(run.stdout).toContain(`::add-mask::${password}`)
  })

  it('names an untrusted certificate as such', async () => {
    const run = await runAction(inputs())
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(/TLS certificate of 127\.0\.0\.1:\d+ is not trusted/)
    expect(run.errors[0]).toContain('NODE_EXTRA_CA_CERTS')
  })

  it('names a wrong password as such', async () => {
    const run = await runAction(
      { ...inputs(), password: 'wrong-password' },
      { NODE_EXTRA_CA_CERTS: registry.caFile ?? '' }
    )
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(/rejected the username and password/)
  })
})
