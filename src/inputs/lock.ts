// The inputs of lock and unlock: which tags, manifest or repository, and
// which of its attributes to disable or enable.

import type { CommonInputs, Target } from '../inputs.js'
import {
  fail,
  list,
  LINES_OR_COMMAS,
  quote,
  readRepository,
  readTags,
  readTarget,
  text,
  unique
} from './parsers.js'

export const LOCK_ATTRIBUTES = ['write', 'delete', 'read', 'list'] as const
export type LockAttribute = (typeof LOCK_ATTRIBUTES)[number]

/** Several tags may be locked in one step. */
export type LockTarget = Target | { kind: 'tags'; repository: string; tags: string[] }

export interface LockInputs extends CommonInputs {
  operation: 'lock' | 'unlock'
  target: LockTarget
  /** What to disable (lock) or enable (unlock); at least one, no repeats. */
  attributes: LockAttribute[]
}

export function readLock(operation: 'lock' | 'unlock', common: CommonInputs): LockInputs {
  const repository = readRepository(common.registry, operation)
  const tags = readTags()
  let target: LockTarget
  if (tags.length > 1) {
    if (text('digest') !== undefined) {
      fail('digest', 'cannot be combined with tag: give tags or a digest, not both')
    }
    target = { kind: 'tags', repository, tags }
  } else {
    target = readTarget(repository, operation)
  }
  const attributes = unique(
    list('lock-attributes', LINES_OR_COMMAS).map(
      name =>
        LOCK_ATTRIBUTES.find(attribute => attribute === name.toLowerCase()) ??
        fail('lock-attributes', `${quote(name)} is not one of ${LOCK_ATTRIBUTES.join(', ')}`)
    )
  )
  return {
    operation,
    ...common,
    target,
    attributes: attributes.length > 0 ? attributes : ['write', 'delete']
  }
}
