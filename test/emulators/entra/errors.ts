// Entra ID's refusals: the AADSTS codes, OAuth error names, HTTP statuses and
// wording it uses, and the JSON body that carries them. Clients show
// `error_description` to users and MSAL builds its message from these fields,
// so the wording follows what Entra has been seen to send (quoted in public
// issues); where no sample was found the text says so.

export class EntraError {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string
  ) {}
}

const federationDocs = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation'
const federationHint = `Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`

export const refuse = {
  tenantNotFound: (tenant: string) =>
    new EntraError(
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`
    ),
  postOnly: (method: string) =>
    new EntraError(
      400,
      'invalid_request',
      900561,
      `The endpoint only accepts POST, OPTIONS requests. Received a ${method} request.`
    ),
  missingParameter: (name: string) =>
    new EntraError(
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`
    ),
  unsupportedGrant: (grant: string) =>
    new EntraError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grant}'.`
    ),
  unknownClient: (clientId: string, tenant: string) =>
    new EntraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`
    ),
  invalidScope: (scope: string) =>
    new EntraError(
      400,
      'invalid_scope',
      70011,
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`
    ),
  // Sample from Entra not found; wording from Microsoft's error code reference.
  scopeWithoutDefault: (scope: string) =>
    new EntraError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`
    ),
  missingCredential: () =>
    new EntraError(
      401,
      'invalid_client',
      7000218,
      `The request body must contain the following parameter: 'client_assertion' or 'client_secret'.`
    ),
  malformedAssertion: () =>
    new EntraError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.'),
  issuerMismatch: (issuer: string) =>
    new EntraError(
      401,
      'invalid_client',
      700211,
      `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${federationDocs}`
    ),
  badSignature: () =>
    new EntraError(
      401,
      'invalid_client',
      50013,
      'Assertion failed signature validation. [Reason - The key was not found.]'
    ),
  outsideLifetime: (now: number, validFrom: number, expiry: number) =>
    new EntraError(
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${ticks(now)}, assertion valid from ${ticks(validFrom)}, expiry time of assertion ${ticks(expiry)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`
    ),
  subjectMismatch: (subject: string) =>
    new EntraError(
      401,
      'invalid_client',
      700213,
      `No matching federated identity record found for presented assertion subject '${subject}'. ${federationHint} ${federationDocs}`
    ),
  subjectCaseMismatch: (subject: string) =>
    new EntraError(
      401,
      'invalid_client',
      7002138,
      `No matching federated identity record found for presented assertion subject '${subject}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. ${federationHint} See documentation at: ${federationDocs}.`
    ),
  audienceMismatch: (audience: string) =>
    new EntraError(
      401,
      'invalid_client',
      700212,
      `No matching federated identity record found for presented assertion audience '${audience}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${federationDocs}`
    )
}

export interface ErrorContext {
  traceId: string
  correlationId: string
  /** Milliseconds since the epoch. */
  now: number
  /** Where `error_uri` points: the authority host. */
  authority: string
}

export function errorBody(refusal: EntraError, context: ErrorContext): Record<string, unknown> {
  const timestamp = stamp(context.now)
  return {
    error: refusal.error,
    error_description: `AADSTS${refusal.code}: ${refusal.description} Trace ID: ${context.traceId} Correlation ID: ${context.correlationId} Timestamp: ${timestamp}`,
    error_codes: [refusal.code],
    timestamp,
    trace_id: context.traceId,
    correlation_id: context.correlationId,
    error_uri: `${context.authority}/error?code=${refusal.code}`
  }
}

/** `2025-10-13 14:54:34Z`, Entra's timestamp format. */
function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
}

/** `2024-10-02T22:05:03.6755165Z`: .NET's seven fractional digits, from Unix seconds. */
function ticks(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/Z$/, '0000Z')
}
