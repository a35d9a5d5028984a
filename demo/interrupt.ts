// Ctrl-C (SIGINT) and SIGTERM: the first asks everything to stop and clean up
// through the returned signal; a second, or a clean-up that hangs, exits at
// once. Even then nothing is left behind: the rig's exit hook kills the
// registry and removes the temporary folders, and the kernel kills the
// registry and any running step when this process dies (setpriv's pdeathsig).

export const INTERRUPTED_EXIT_CODE = 130

const GIVE_UP_AFTER_MS = 10_000

export function onInterrupt(announce: (signal: NodeJS.Signals) => void): AbortSignal {
  const controller = new AbortController()
  const handle = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT_CODE)
    announce(signal)
    controller.abort()
    setTimeout(() => process.exit(INTERRUPTED_EXIT_CODE), GIVE_UP_AFTER_MS).unref()
  }
  process.on('SIGINT', handle)
  process.on('SIGTERM', handle)
  return controller.signal
}
