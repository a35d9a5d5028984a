// lock and unlock: ACR's changeable attributes on tags, a manifest (and, for
// an index, its children, since ACR locks are independent of each other) or a
// repository. Each item's attributes are read before and after, so the
// result says exactly what changed; what was already so is said, not failed.

import type { LockAttribute, LockInputs } from '../inputs.js'
import type { AcrMetadataClient, ChangeableAttributes } from '../registry/acr-metadata.js'
import { formatReference } from '../registry/reference.js'
import type { OperationContext, OperationResult } from './context.js'
import { lockState } from './locks.js'
import { inPool } from './pool.js'

export class NeedsAcrError extends Error {
  override readonly name = 'NeedsAcrError'
}

export interface LockChange {
  kind: 'tag' | 'manifest' | 'repository'
  name: string
  /** For a manifest locked as the child of an index. */
  parent?: string
  before: ChangeableAttributes
  after: ChangeableAttributes
  changed: boolean
}

type Item = Pick<LockChange, 'kind' | 'name' | 'parent'>

export async function lock(
  inputs: LockInputs,
  context: OperationContext
): Promise<OperationResult> {
  const { client, metadata, log } = context
  if (metadata === undefined) {
    throw new NeedsAcrError(
      `${inputs.operation} needs Azure Container Registry: ${client.host} is an OCI registry without ACR's metadata API (/acr/v1), which holds the locks; nothing was changed`
    )
  }
  const { target } = inputs
  const repository = target.repository
  const wanted = attributesFor(inputs.operation, inputs.attributes)
  const items = await itemsFor(target, metadata)
  // Everything is read before anything is written: a tag that does not exist
  // fails the step with nothing changed, not after its neighbours were locked.
  const befores = await inPool(items, inputs.concurrency, item => read(metadata, repository, item))
  const changes = await inPool(items, inputs.concurrency, (item, i) =>
    apply(metadata, repository, item, befores[i] as ChangeableAttributes, wanted)
  )
  for (const change of changes) {
    log.info(
      `${describe(change)}: ${change.changed ? `${state(change.before)} → ${state(change.after)}` : `already ${state(change.after)}, unchanged`}`
    )
  }
  const digest =
    target.kind === 'digest'
      ? target.digest
      : target.kind === 'tag'
        ? (await metadata.getTag(repository, target.tag)).digest
        : undefined
  return {
    outputs: digest ? { digest } : {},
    result: {
      operation: inputs.operation,
      ...(digest ? { digest, reference: formatReference(client.host, repository, digest) } : {}),
      repository,
      attributes: wanted,
      changed: changes.filter(c => c.changed).length,
      items: changes
    },
    report: {
      title: `${inputs.operation === 'lock' ? 'Locked' : 'Unlocked'} in ${client.host}/${repository}`,
      facts: [
        [
          'Attributes',
          Object.entries(wanted)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')
        ],
        ['Changed', `${changes.filter(c => c.changed).length} of ${changes.length}`]
      ],
      tables: [
        {
          caption: 'Items',
          header: ['Kind', 'Name', 'Before', 'After', 'Changed'],
          rows: changes.map(c => [
            c.kind,
            c.name,
            state(c.before),
            state(c.after),
            c.changed ? 'yes' : 'no (already so)'
          ])
        }
      ]
    }
  }
}

/** lock disables, unlock enables: `{ writeEnabled: false, ... }`. */
export function attributesFor(
  operation: 'lock' | 'unlock',
  attributes: LockAttribute[]
): ChangeableAttributes {
  return Object.fromEntries(attributes.map(a => [`${a}Enabled`, operation === 'unlock']))
}

async function itemsFor(
  target: LockInputs['target'],
  metadata: AcrMetadataClient
): Promise<Item[]> {
  switch (target.kind) {
    case 'repository':
      return [{ kind: 'repository', name: target.repository }]
    case 'tag':
      return [{ kind: 'tag', name: target.tag }]
    case 'tags':
      return target.tags.map(name => ({ kind: 'tag', name }))
    case 'digest': {
      const manifest = await metadata.getManifest(target.repository, target.digest)
      const children = (manifest.references ?? []).map(r => ({
        kind: 'manifest' as const,
        name: r.digest,
        parent: target.digest
      }))
      return [{ kind: 'manifest', name: target.digest }, ...children]
    }
  }
}

async function apply(
  metadata: AcrMetadataClient,
  repository: string,
  item: Item,
  before: ChangeableAttributes,
  wanted: ChangeableAttributes
): Promise<LockChange> {
  const needed = Object.entries(wanted).some(
    ([key, value]) => before[key as keyof ChangeableAttributes] !== value
  )
  const after = needed ? await write(metadata, repository, item, wanted) : before
  return { ...item, before, after, changed: needed }
}

async function read(
  metadata: AcrMetadataClient,
  repository: string,
  item: Item
): Promise<ChangeableAttributes> {
  switch (item.kind) {
    case 'repository':
      return attributesOnly((await metadata.getRepository(repository)).changeableAttributes)
    case 'tag':
      return attributesOnly((await metadata.getTag(repository, item.name)).changeableAttributes)
    case 'manifest':
      return attributesOnly(
        (await metadata.getManifest(repository, item.name)).changeableAttributes
      )
  }
}

async function write(
  metadata: AcrMetadataClient,
  repository: string,
  item: Item,
  wanted: ChangeableAttributes
): Promise<ChangeableAttributes> {
  switch (item.kind) {
    case 'repository':
      return attributesOnly(
        (await metadata.updateRepository(repository, wanted)).changeableAttributes
      )
    case 'tag':
      return attributesOnly(
        (await metadata.updateTag(repository, item.name, wanted)).changeableAttributes
      )
    case 'manifest':
      return attributesOnly(
        (await metadata.updateManifest(repository, item.name, wanted)).changeableAttributes
      )
  }
}

// ACR may add fields (quarantine state) beside the four attributes.
function attributesOnly(attributes: ChangeableAttributes | undefined): ChangeableAttributes {
  const { deleteEnabled, writeEnabled, readEnabled, listEnabled } = attributes ?? {}
  return { deleteEnabled, writeEnabled, readEnabled, listEnabled }
}

function describe(change: LockChange): string {
  return change.parent
    ? `manifest ${change.name} (child of ${change.parent})`
    : `${change.kind} ${change.name}`
}

function state(attributes: ChangeableAttributes): string {
  return lockState(attributes, 'nothing disabled')
}
