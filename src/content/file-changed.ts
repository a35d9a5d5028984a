// The one error for a file that changed under a read, whichever reader saw it.

/** A file's size changed while it was read: the layer would not match what was read. */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError'

  constructor(
    readonly path: string,
    readonly expected: number,
    readonly actual: number
  ) {
    super(
      `${path} changed while it was read (${expected} bytes when opened, ${actual} read); ` +
        'push it when nothing is writing to it'
    )
  }
}
