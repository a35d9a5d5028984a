// Workload identity federation: does a client assertion (an ID token from an
// external issuer) stand for this application? Checked in the order Entra
// reports failures: issuer, signature, lifetime, subject, audience. Matching
// is exact; a subject that matches only when case is ignored gets its own code.

import type { KeyObject } from 'node:crypto'
import { decodeJwt, verifyJwt, type Claims } from '../jwt.js'
import type { FederatedCredential } from './directory.js'
import { refuse, type EntraError } from './errors.js'

/** An external issuer and the key from its JWKS, which real Entra would fetch. */
export interface TrustedIssuer {
  issuer: string
  publicKey: KeyObject
}

export function checkAssertion(
  assertion: string,
  credentials: FederatedCredential[],
  trustedIssuers: TrustedIssuer[],
  nowSeconds: number
): Claims | EntraError {
  const unverified = decodeJwt(assertion)
  if (assertion.split('.').length !== 3 || !unverified) return refuse.malformedAssertion()
  const issuer = String(unverified.iss ?? '')
  const byIssuer = credentials.filter(c => c.issuer === issuer)
  if (byIssuer.length === 0) return refuse.issuerMismatch(issuer)

  const key = trustedIssuers.find(t => t.issuer === issuer)?.publicKey
  const claims = key ? verifyJwt(assertion, key) : undefined
  if (!claims) return refuse.badSignature()

  const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0
  const exp = typeof claims.exp === 'number' ? claims.exp : 0
  if (nowSeconds < nbf || nowSeconds >= exp) return refuse.outsideLifetime(nowSeconds, nbf, exp)

  const subject = String(claims.sub ?? '')
  const bySubject = byIssuer.filter(c => c.subject === subject)
  if (bySubject.length === 0) {
    const caseOnly = byIssuer.some(c => c.subject.toLowerCase() === subject.toLowerCase())
    return caseOnly ? refuse.subjectCaseMismatch(subject) : refuse.subjectMismatch(subject)
  }

  const audiences = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).map(String)
  if (!bySubject.some(c => audiences.includes(c.audience))) {
    return refuse.audienceMismatch(audiences.join(','))
  }
  return claims
}
