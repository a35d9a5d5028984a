// The ACR emulator's picture of a repository may serve several requests, but
// never one that arrived after a change the picture could have missed.

import { describe, expect, it } from '@jest/globals'
import { Discovery } from '../../test/emulators/acr/discovery.js'
import type { StorageLayout } from '../../test/emulators/acr/layout.js'
import { AcrState } from '../../test/emulators/acr/state.js'
import { Stamper } from '../../test/emulators/acr/time.js'

const digest = `sha256:${'a'.repeat(64)}`
const other = `sha256:${'b'.repeat(64)}`

/** Storage with one manifest under one tag, whose tag can be moved "straight in the registry". */
function storage() {
  const live = { tag: digest, reads: 0 }
  const layout = {
    manifests: async () => {
      live.reads++
      return [digest, other]
    },
    tags: async () => [{ name: 'v1', digest: live.tag }],
    readBlob: async () => Buffer.from('{"schemaVersion":2,"layers":[]}')
  } as unknown as StorageLayout
  return { live, discovery: new Discovery(new AcrState(new Stamper(Date.now)), layout) }
}

const tagOf = async (discovery: Discovery) =>
  (await discovery.repository('app'))?.tags.get('v1')?.digest

describe('Discovery', () => {
  it('lets requests that arrived before a picture share it', async () => {
    const { live, discovery } = storage()
    const first = discovery.arrived(async () => {
      await Promise.resolve()
      return tagOf(discovery)
    })
    const second = discovery.arrived(async () => {
      await new Promise(resolve => setTimeout(resolve, 5))
      return tagOf(discovery)
    })
    expect(await Promise.all([first, second])).toEqual([digest, digest])
    expect(live.reads).toBe(1)
  })

  it('reads storage again for a request that arrived after the picture', async () => {
    const { live, discovery } = storage()
    expect(await discovery.arrived(() => tagOf(discovery))).toBe(digest)
    live.tag = other
    expect(await discovery.arrived(() => tagOf(discovery))).toBe(other)
    expect(live.reads).toBe(2)
  })

  it('reads storage again once a write through the emulator began, even for an earlier request', async () => {
    const { live, discovery } = storage()
    let release!: () => void
    const gate = new Promise<void>(resolve => (release = resolve))
    const waiting = discovery.arrived(async () => {
      await gate
      return tagOf(discovery)
    })
    expect(await discovery.arrived(() => tagOf(discovery))).toBe(digest)
    const done = discovery.writing('app')
    live.tag = other
    done()
    release()
    expect(await waiting).toBe(other)
    expect(live.reads).toBe(2)
  })

  it('keeps no picture taken while a write was under way', async () => {
    const { live, discovery } = storage()
    const done = discovery.writing('app')
    expect(await discovery.arrived(() => tagOf(discovery))).toBe(digest)
    live.tag = other
    done()
    expect(await discovery.arrived(() => tagOf(discovery))).toBe(other)
    expect(live.reads).toBe(2)
  })

  it('always reads storage for a caller outside any request', async () => {
    const { live, discovery } = storage()
    await tagOf(discovery)
    await tagOf(discovery)
    expect(live.reads).toBe(2)
  })
})
