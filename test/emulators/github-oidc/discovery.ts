// GitHub's OIDC discovery document, so that a relying party can find the keys
// that sign the ID tokens. `issuer` is what tokens carry, which may differ from
// where this server listens; `jwks_uri` always points at this server.

export const jwksPath = '/.well-known/jwks'
export const configurationPath = '/.well-known/openid-configuration'

export function openidConfiguration(issuer: string, serverUrl: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${serverUrl}${jwksPath}`,
    subject_types_supported: ['public', 'pairwise'],
    response_types_supported: ['id_token'],
    claims_supported: [
      'sub',
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'nbf',
      'ref',
      'sha',
      'repository',
      'repository_owner',
      'run_id',
      'run_number',
      'run_attempt',
      'actor',
      'workflow',
      'workflow_ref',
      'workflow_sha',
      'head_ref',
      'base_ref',
      'event_name',
      'ref_type',
      'ref_protected',
      'environment',
      'job_workflow_ref',
      'job_workflow_sha',
      'repository_visibility',
      'runner_environment'
    ],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid']
  }
}
