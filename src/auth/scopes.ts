// Registry token scopes: `repository:team/app:pull,push`, `registry:catalog:*`.
// Several scopes for one resource merge into one, so a token request never
// asks twice for the same repository.

export function repositoryScope(repository: string, ...actions: string[]): string {
  return `repository:${repository}:${actions.join(',')}`
}

export const catalogScope = 'registry:catalog:*'

/** Splits space-separated scope values and merges the actions of each resource, in a stable order. */
export function mergeScopes(...groups: Array<string[] | string | undefined>): string[] {
  const actionsByResource = new Map<string, Set<string>>()
  for (const group of groups) {
    const values = typeof group === 'string' ? [group] : (group ?? [])
    for (const scope of values.flatMap(v => v.split(' ')).filter(v => v.length > 0)) {
      const split = scope.lastIndexOf(':')
      const resource = split > 0 ? scope.slice(0, split) : scope
      const actions = split > 0 ? scope.slice(split + 1).split(',') : []
      const known = actionsByResource.get(resource) ?? new Set<string>()
      for (const action of actions) if (action) known.add(action)
      actionsByResource.set(resource, known)
    }
  }
  return [...actionsByResource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`)
}
