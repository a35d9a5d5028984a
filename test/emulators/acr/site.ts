/**
 * Where the login server lives, known only once it listens: the host clients
 * reach (ACR's login server, the realm and the `registry` field) and the
 * `service` its challenges name and its tokens are meant for.
 */
export interface Site {
  host: string
  service: string
}
