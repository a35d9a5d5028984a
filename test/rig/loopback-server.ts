// Scripted HTTP servers for unit tests: listen on a free loopback port, and
// close with every kept-alive connection, so a test never waits on a socket.

import type http from 'node:http'
import type { AddressInfo } from 'node:net'

/** Starts listening on 127.0.0.1 and returns the server's base URL. */
export async function listenOnLoopback(server: http.Server): Promise<string> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections()
  return new Promise<void>(resolve => server.close(() => resolve()))
}
