import { describe, expect, it } from '@jest/globals'
import { BlobPresence } from '../../src/registry/blob-presence.js'

function after(answers: boolean[]): BlobPresence {
  const presence = new BlobPresence()
  for (const present of answers) presence.record(present)
  return presence
}

describe('BlobPresence', () => {
  it('asks with HEAD until four answers are in', () => {
    expect(after([]).ask()).toBe('head')
    expect(after([false, false, false]).ask()).toBe('head')
    expect(after([false, false, false, false]).ask()).toBe('mount')
  })

  it('keeps to HEAD while a third or more of the recent blobs were there', () => {
    expect(after([true, false, false, false]).ask()).toBe('mount')
    expect(after([true, false, true, false, false, false]).ask()).toBe('head')
    expect(after([true, true, true, true, true, true, true, true]).ask()).toBe('head')
  })

  it('goes back to HEAD when blobs start being there, judging the last eight only', () => {
    const presence = after(new Array(20).fill(false))
    expect(presence.ask()).toBe('mount')
    presence.record(true)
    presence.record(true)
    expect(presence.ask()).toBe('mount')
    presence.record(true)
    expect(presence.ask()).toBe('head')
    for (let i = 0; i < 8; i++) presence.record(false)
    expect(presence.ask()).toBe('mount')
  })
})
