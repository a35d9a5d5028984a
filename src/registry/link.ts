// RFC 8288 Link headers as registries page with them:
//   </v2/team/app/tags/list?last=v9&n=100>; rel="next"
// The next URL is followed as given, never rebuilt: ACR's `last` is opaque.

export function nextLink(header: string | undefined, base: URL): URL | undefined {
  if (!header) return undefined
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part)
    if (!match) continue
    const rels = /;\s*rel="?([^";]+)"?/i.exec(match[2] ?? '')?.[1]?.split(/\s+/) ?? []
    if (rels.includes('next')) return new URL(match[1] ?? '', base)
  }
  return undefined
}
