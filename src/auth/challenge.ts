// WWW-Authenticate (RFC 9110 §11.6.1) as registries send it:
//   Bearer realm="https://r.example/oauth2/token",service="r.example",scope="repository:a:pull,push"
// Quoted values hold commas, so this is a small tokenizer, not a split.

export interface Challenge {
  scheme: string
  params: Record<string, string>
}

export function parseChallenges(header: string | undefined): Challenge[] {
  if (!header) return []
  const challenges: Challenge[] = []
  let i = 0
  const skipSpace = (): void => {
    while (i < header.length && /[\s,]/.test(header[i] ?? '')) i++
  }
  const readToken = (): string => {
    const start = i
    while (i < header.length && /[^\s,=]/.test(header[i] ?? '')) i++
    return header.slice(start, i)
  }
  const readValue = (): string => {
    if (header[i] !== '"') return readToken()
    let value = ''
    for (i++; i < header.length && header[i] !== '"'; i++) {
      if (header[i] === '\\') i++
      value += header[i] ?? ''
    }
    i++
    return value
  }

  let current: Challenge | undefined
  while (i < header.length) {
    skipSpace()
    const token = readToken()
    if (token === '') break
    while (header[i] === ' ') i++
    if (header[i] === '=') {
      i++
      while (header[i] === ' ') i++
      const value = readValue()
      if (current) current.params[token.toLowerCase()] = value
    } else {
      current = { scheme: token.toLowerCase(), params: {} }
      challenges.push(current)
    }
  }
  return challenges
}

/** The challenge the client can answer, Bearer first. */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find(c => c.scheme === 'bearer') ?? challenges.find(c => c.scheme === 'basic')
}
