// Shared access signatures for the blob redirects: a read-only grant for one
// blob path until an expiry, signed with a secret only the emulator knows, in
// the query layout ACR's Locations carry (`se, sig, sp, spr, sr, sv, regid`).

import { createHmac, timingSafeEqual } from 'node:crypto'

export const STORAGE_VERSION = '2016-05-31'

const SIGNED_FIELDS = ['se', 'sp', 'spr', 'sr', 'sv', 'regid'] as const
type SignedFields = Record<(typeof SIGNED_FIELDS)[number], string>

/** Azure's SAS time format: whole seconds, `Z`. */
export function sasTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
}

export type SasCheck = 'valid' | 'bad-signature' | 'expired'

export class SasSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly registryId: string,
    private readonly clock: () => number,
    private readonly lifetimeSeconds: number
  ) {}

  /** The query string granting a read of `path`. */
  sign(path: string): string {
    const fields: SignedFields = {
      se: sasTime(this.clock() + this.lifetimeSeconds * 1000),
      sp: 'r',
      spr: 'https',
      sr: 'b',
      sv: STORAGE_VERSION,
      regid: this.registryId
    }
    const { se, ...rest } = fields
    return new URLSearchParams({ se, sig: this.signature(path, fields), ...rest }).toString()
  }

  check(path: string, query: URLSearchParams): SasCheck {
    const fields = Object.fromEntries(
      SIGNED_FIELDS.map(name => [name, query.get(name) ?? ''])
    ) as SignedFields
    const given = Buffer.from(query.get('sig') ?? '')
    const expected = Buffer.from(this.signature(path, fields))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return 'bad-signature'
    }
    return Date.parse(fields.se) > this.clock() ? 'valid' : 'expired'
  }

  private signature(path: string, fields: SignedFields): string {
    return createHmac('sha256', this.secret)
      .update([path, ...SIGNED_FIELDS.map(name => fields[name])].join('\n'))
      .digest('base64')
  }
}
