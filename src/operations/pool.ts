// At most `limit` tasks at once, started in the order given. The first
// failure stops new starts; the ones under way finish before it is thrown,
// so nothing is left running behind the caller's back.

export async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  if (!(limit >= 1)) throw new RangeError(`a pool needs room for at least one task, not ${limit}`)
  const results: R[] = new Array<R>(items.length)
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++
      try {
        results[index] = await task(items[index] as T, index)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failure !== undefined) throw failure.error
  return results
}

/**
 * At most `limit` tasks at once, started in the order given, each result its
 * own promise: a consumer can take the first while later ones still run.
 * Every task runs; one failing rejects its own promise only.
 */
export function pooled<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>
): Array<Promise<R>> {
  if (!(limit >= 1)) throw new RangeError(`a pool needs room for at least one task, not ${limit}`)
  const starts = items.map(() => {
    let start!: () => void
    const started = new Promise<void>(resolve => (start = resolve))
    return { started, start }
  })
  let next = 0
  const startNext = (): void => {
    if (next < starts.length) starts[next++]!.start()
  }
  const results = items.map(async (item, index) => {
    await starts[index]!.started
    try {
      return await task(item, index)
    } finally {
      startNext()
    }
  })
  for (let i = 0; i < Math.min(limit, items.length); i++) startNext()
  // A consumer may stop before taking every result; a failure it never took is not unhandled.
  for (const result of results) result.catch(() => undefined)
  return results
}
