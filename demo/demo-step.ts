// What a step of the demo's workflow is, and what the steps share: the
// repositories and numbers the workflow is built around, and what earlier
// steps learned for later ones to check against.

import type { StepOutcome } from './action-step.js'
import type { DemoStack } from './stack.js'

export interface DemoStep {
  title: string
  /** Only a line for its header and its result: for the builds CI pushes meanwhile. */
  quiet?: boolean
  /** Makes what the step needs and returns its `with:`. */
  prepare(): Promise<Record<string, string>>
  /** What was not as expected; empty when the step did its job. */
  check(outcome: StepOutcome): Promise<string[]>
  /** Lines worth seeing beyond outputs and summary, such as the files a pull wrote. */
  show?(outcome: StepOutcome): Promise<string[]>
}

/** The repository that files, builds and both prunes go to. */
export const SITE = 'demo/site'
/** Builds pushed meanwhile; with the site's own image, BUILDS + 1 images for prune. */
export const BUILDS = 4
/** prune's keep-count: the newest KEEP builds stay, the older ones go, the locked v1 stays. */
export const KEEP = 2

/** What steps learn and later steps check against. */
export interface Learned {
  sitePaths: string[]
  siteDigest: string
  imageDigest: string
  /** Digests of the builds, oldest first. */
  builds: string[]
  /** What the dry run would delete, sorted. */
  planned: string[]
}

export type StepContext = DemoStack & { stamp: string; learned: Learned }
