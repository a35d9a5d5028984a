/** One request as the registry's access log records it. */
export interface AccessLogEntry {
  method: string
  /** Path and query as the client sent them. */
  path: string
  status: number
  userAgent: string
}

// distribution wraps its handler in gorilla's CombinedLoggingHandler, which
// writes one line per request to stdout, e.g.
//   127.0.0.1 - - [22/Nov/2026:09:01:16 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
// Quoted fields are backslash-escaped, so a quote inside a user agent cannot end them.
const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"'
const LINE = new RegExp(
  `^\\S+ \\S+ \\S+ \\[[^\\]]*\\] ${QUOTED} (\\d{3}) (?:\\d+|-) ${QUOTED} ${QUOTED}$`
)

/** Entries for the complete lines of `text`; other output (and a torn last line) is skipped. */
export function parseAccessLog(text: string): AccessLogEntry[] {
  const lines = text.split('\n')
  lines.pop() // the part after the last newline is not a whole line yet
  const entries: AccessLogEntry[] = []
  for (const line of lines) {
    const match = LINE.exec(line)
    if (!match) continue
    const [, requestLine = '', status = '', , userAgent = ''] = match
    const [method = '', path = ''] = requestLine.split(' ')
    entries.push({ method, path, status: Number(status), userAgent })
  }
  return entries
}
