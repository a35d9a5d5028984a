// How a push asks whether the registry has a blob already. A HEAD is a read,
// which ACR's quota counts cheaply, but a blob that turns out to be missing
// then costs three requests (HEAD, POST, PUT) where an upload needs two. A
// POST that asks to mount the blob from its own repository asks and opens a
// session at once: 201 means it is there, 202 brings the session (the
// distribution spec's answer from a registry that will not mount, too). That
// POST is a write, so it only pays while most blobs are new: a push starts
// with HEADs, and switches while the recent answers are mostly "missing".

export type PresenceQuestion = 'head' | 'mount'

/** How many recent answers decide, and how many must be in before they do. */
const window = 8
const fewestAnswers = 4

export class BlobPresence {
  private readonly answers: boolean[] = []
  private mountsRefused = false

  /** How to ask about the next blob. */
  ask(): PresenceQuestion {
    if (this.mountsRefused || this.answers.length < fewestAnswers) return 'head'
    const present = this.answers.filter(Boolean).length
    // Mostly missing: a mount attempt wastes nothing on the blobs to come.
    return present * 3 < this.answers.length ? 'mount' : 'head'
  }

  /** What the registry said about one blob, however it was asked. */
  record(present: boolean): void {
    this.answers.push(present)
    if (this.answers.length > window) this.answers.shift()
  }

  /** The registry will not mount a blob from its own repository: HEADs from now on. */
  refuseMounts(): void {
    this.mountsRefused = true
  }
}
