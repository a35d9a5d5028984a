import { createServer } from 'node:net'

/**
 * A loopback port that was free a moment ago. Another process may take it
 * before the caller binds it, so callers that cannot listen on port 0
 * themselves (like the registry) must retry when the bind fails.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port)
        else reject(new Error(`unexpected server address ${String(address)}`))
      })
    })
  })
}
