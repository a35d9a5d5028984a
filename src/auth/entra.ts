// GitHub OIDC → Entra ID: @azure/identity's ClientAssertionCredential, whose
// assertion callback asks the runner for a fresh ID token every time (they
// live about five minutes; a job may run for hours). Its HTTP goes through the
// action's transport, and its own retries are off so that only one loop retries.

import { ClientAssertionCredential } from '@azure/identity'
import type { Transport } from '../http/transport.js'
import { transportHttpClient } from './azure-http-client.js'
import { AuthError } from './errors.js'
import type { GithubIdTokenSource } from './github-oidc.js'

export interface EntraOptions {
  tenantId: string
  clientId: string
  authorityHost: string
  /** The scope asked of Entra ID, e.g. https://containerregistry.azure.net/.default. */
  audience: string
  idTokens: GithubIdTokenSource
  transport: Transport
  mask: (secret: string) => void
}

// MSAL asks login.microsoftonline.com where any other authority lives, which
// can never work for a private or offline one: discovery is only for these.
const microsoftAuthorityHosts = new Set([
  'login.microsoftonline.com',
  'login.chinacloudapi.cn',
  'login.microsoftonline.us',
  'login.microsoftonline.de'
])

export class EntraTokenProvider {
  private readonly credential: ClientAssertionCredential

  constructor(private readonly options: EntraOptions) {
    const host = new URL(options.authorityHost).hostname.toLowerCase()
    this.credential = new ClientAssertionCredential(
      options.tenantId,
      options.clientId,
      () => options.idTokens.fetchIdToken(),
      {
        authorityHost: options.authorityHost,
        disableInstanceDiscovery: !microsoftAuthorityHosts.has(host),
        httpClient: transportHttpClient(options.transport),
        retryOptions: { maxRetries: 0 }
      }
    )
  }

  async accessToken(): Promise<string> {
    let token: string
    try {
      const result = await this.credential.getToken(this.options.audience)
      token = result.token
    } catch (error) {
      throw this.explain(error)
    }
    this.options.mask(token)
    return token
  }

  private explain(error: unknown): AuthError {
    // An AuthError from the assertion callback (no id-token permission) already says what to do.
    const cause = (error as { cause?: unknown }).cause
    for (const candidate of [error, cause]) {
      if (candidate instanceof AuthError) return candidate
    }
    const message = String((error as { message?: unknown } | null)?.message ?? error)
    if (message.includes('ACTIONS_ID_TOKEN_REQUEST_URL') || message.includes('id-token: write')) {
      return new AuthError('oidc', firstLine(message), { cause: error })
    }
    if (message.includes('endpoints_resolution_error')) {
      return new AuthError(
        'oidc',
        `Entra ID at ${this.options.authorityHost} could not describe tenant ${this.options.tenantId} (its openid-configuration did not load): check tenant-id, cloud and authority-host`,
        { cause: error }
      )
    }
    const code = /AADSTS(\d+)/.exec(message)?.[1]
    const { clientId, tenantId } = this.options
    const presented = this.options.idTokens.lastPresented
    // AADSTS70021 and 700211 to 7002138: the assertion matched no federated credential.
    if (code?.startsWith('70021')) {
      return new AuthError(
        'oidc',
        `Entra ID found no federated credential of application ${clientId} matching this workflow (AADSTS${code}): the presented token has sub '${presented?.sub ?? '?'}', iss '${presented?.iss ?? '?'}', aud '${presented?.aud ?? '?'}'; add a federated credential with exactly this subject, issuer and audience`,
        { cause: error }
      )
    }
    const hints: Record<string, string> = {
      '700016': `application ${clientId} is not known in tenant ${tenantId}: check client-id and tenant-id`,
      '90002': `tenant ${tenantId} does not exist: check tenant-id`,
      '700024':
        "the runner's OIDC token had expired when Entra ID received it: check the runner's clock",
      '50013': "Entra ID could not verify the runner's OIDC token signature",
      '70011': `Entra ID refused the scope ${this.options.audience}: check the audience input`
    }
    const hint = code !== undefined ? hints[code] : undefined
    return new AuthError(
      'oidc',
      hint
        ? `Entra ID sign-in failed (AADSTS${code}): ${hint}`
        : `Entra ID sign-in failed: ${firstLine(message)}`,
      { cause: error }
    )
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text
}
