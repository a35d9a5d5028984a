// How a push asks whether the registry has a blob already. A HEAD is a read,
// which ACR's quota counts cheaply, but a blob that turns out to be missing
// then costs three requests (HEAD, POST, PUT) where an upload needs two. A
// POST that asks to mount the blob from its own repository asks and opens a
// session at once: 201 means it is there, 202 brings the session (the
// distribution spec's answer from a registry that will not mount, too). That
// POST is a write, so it only pays while most blobs are new: a push starts
// with HEADs, and switches while fewer than a third of the recent answers
// were "there". A 202 to a mount does not say the blob was missing (a
// registry may simply not mount), so while mounting, one blob in
// `probeEvery` is still asked with a HEAD, and those answers keep the
// judgement true. Large blobs always get a HEAD: next to their upload it
// costs nothing, and a registry that does not mount would take them again.

export type PresenceQuestion = 'head' | 'mount'

/** How many recent answers decide, and how many must be in before they do. */
const windowSize = 8
const fewestAnswers = 4
const probeEvery = 8
/** Above this, a blob is always asked about with a HEAD. */
export const mountUpToBytes = 16 * 1024 * 1024

export class BlobPresence {
  private readonly answers: boolean[] = []
  private mountsRefused = false
  private mounts = 0

  /** How to ask about the next blob of `size` bytes. */
  ask(size: number): PresenceQuestion {
    if (this.mountsRefused || size > mountUpToBytes) return 'head'
    if (this.answers.length < fewestAnswers) return 'head'
    const present = this.answers.filter(Boolean).length
    // A missing blob then costs two requests, not three; one that is there, a write for a read.
    if (present * 3 >= this.answers.length) return 'head'
    return ++this.mounts % probeEvery === 0 ? 'head' : 'mount'
  }

  /** What the registry said about one blob, however it was asked. */
  record(present: boolean): void {
    this.answers.push(present)
    if (this.answers.length > windowSize) this.answers.shift()
  }

  /** The registry will not mount a blob from its own repository: HEADs from now on. */
  refuseMounts(): void {
    this.mountsRefused = true
  }
}
