// Loopback hosts are the only ones plain HTTP may carry credentials to: the
// traffic never leaves the machine.

export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost') return true
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true
  const octets = host.split('.')
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every(o => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  )
}
