import { describe, expect, it } from '@jest/globals'
import { BlobPresence, mountUpToBytes } from '../../src/registry/blob-presence.js'

const small = 1024 * 1024

function after(answers: boolean[]): BlobPresence {
  const presence = new BlobPresence()
  for (const present of answers) presence.record(present)
  return presence
}

describe('BlobPresence', () => {
  it('asks with HEAD until four answers are in', () => {
    expect(after([]).ask(small)).toBe('head')
    expect(after([false, false, false]).ask(small)).toBe('head')
    expect(after([false, false, false, false]).ask(small)).toBe('mount')
  })

  it('keeps to HEAD while a third or more of the recent blobs were there', () => {
    expect(after([true, false, false, false]).ask(small)).toBe('mount')
    expect(after([true, false, true, false, false, false]).ask(small)).toBe('head')
    expect(after(new Array(8).fill(true)).ask(small)).toBe('head')
  })

  it('goes back to HEAD when blobs start being there, judging the last eight only', () => {
    const presence = after(new Array(20).fill(false))
    expect(presence.ask(small)).toBe('mount')
    presence.record(true)
    presence.record(true)
    expect(presence.ask(small)).toBe('mount')
    presence.record(true)
    expect(presence.ask(small)).toBe('head')
    for (let i = 0; i < 8; i++) presence.record(false)
    expect(presence.ask(small)).toBe('mount')
  })

  it('still asks one blob in eight with a HEAD while mounting, so the answers stay true', () => {
    const presence = after([false, false, false, false])
    const asked = Array.from({ length: 16 }, () => presence.ask(small))
    expect(asked.filter(q => q === 'head')).toHaveLength(2)
    expect(asked[7]).toBe('head')
    expect(asked[15]).toBe('head')
  })

  it('asks about a large blob with a HEAD, whatever came before', () => {
    const presence = after(new Array(8).fill(false))
    expect(presence.ask(mountUpToBytes + 1)).toBe('head')
    expect(presence.ask(mountUpToBytes)).toBe('mount')
  })

  it('asks with HEADs only once the registry refused a mount', () => {
    const presence = after(new Array(8).fill(false))
    presence.refuseMounts()
    expect(presence.ask(small)).toBe('head')
  })
})
