// The claims of a GitHub Actions ID token, as the runner's token service mints
// them for one job of one workflow run. Only `sub`, `iss` and `aud` matter to
// Entra; the rest are there so that code printing or checking claims sees the
// shape GitHub really sends.

import { randomUUID } from 'node:crypto'
import type { Claims } from '../jwt.js'

/** The job the token speaks for. */
export interface WorkflowRun {
  repository: string
  ref: string
  sha: string
  workflow: string
  actor: string
  runId: string
  eventName: string
}

export const defaultRun: WorkflowRun = {
  repository: 'octo-org/app',
  ref: 'refs/heads/main',
  sha: 'd6f1a2c3b4e5f60718293a4b5c6d7e8f90a1b2c3',
  workflow: 'release',
  actor: 'octocat',
  runId: '4242424242',
  eventName: 'push'
}

/** GitHub's default subject template: repository and ref. */
export function defaultSubject(run: WorkflowRun): string {
  return `repo:${run.repository}:ref:${run.ref}`
}

/** Without an audience GitHub uses the URL of the repository's owner. */
export function defaultAudience(run: WorkflowRun): string {
  return `https://github.com/${owner(run)}`
}

export interface TokenFrame {
  issuer: string
  subject: string
  audience: string
  nowSeconds: number
  lifetimeSeconds: number
}

export function idTokenClaims(run: WorkflowRun, frame: TokenFrame): Claims {
  const workflowRef = `${run.repository}/.github/workflows/${run.workflow}.yml@${run.ref}`
  return {
    jti: randomUUID(),
    sub: frame.subject,
    aud: frame.audience,
    ref: run.ref,
    sha: run.sha,
    repository: run.repository,
    repository_owner: owner(run),
    run_id: run.runId,
    run_number: '1',
    run_attempt: '1',
    repository_visibility: 'private',
    actor: run.actor,
    workflow: run.workflow,
    head_ref: '',
    base_ref: '',
    event_name: run.eventName,
    ref_protected: 'false',
    ref_type: run.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    workflow_ref: workflowRef,
    workflow_sha: run.sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: run.sha,
    runner_environment: 'github-hosted',
    iss: frame.issuer,
    // Real tokens are valid from five minutes before they were issued.
    nbf: frame.nowSeconds - 300,
    exp: frame.nowSeconds + frame.lifetimeSeconds,
    iat: frame.nowSeconds
  }
}

function owner(run: WorkflowRun): string {
  return run.repository.split('/')[0] ?? run.repository
}
