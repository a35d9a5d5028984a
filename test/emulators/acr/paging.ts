// Ordering and paging of ACR's lists: by name (or digest) unless `orderby`
// says `timedesc`/`timeasc` (by lastUpdateTime), `n` items a page, and a
// `Link: <...>; rel="next"` while more remain. Under time ordering the `last`
// value is opaque, as ACR's is (`last=1%262.71.7`): clients must follow the
// Link, never build `last` from an item.

import type { Ticks } from './time.js'

export type Order = 'name' | 'timedesc' | 'timeasc'

export interface Sortable {
  /** The name or digest: the order without `orderby`, the tie-break with it. */
  key: string
  time: Ticks
}

interface Page<T> {
  items: T[]
  /** The `last` value of the next page's request. */
  next?: string
}

const DEFAULT_PAGE_SIZE = 100

function orderOf(orderby: string | null): Order {
  return orderby === 'timedesc' || orderby === 'timeasc' ? orderby : 'name'
}

function pageSize(n: string | null): number {
  const value = Number(n)
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_PAGE_SIZE
}

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function compare(order: Order, a: Sortable, b: Sortable): number {
  if (order === 'name') return byKey(a.key, b.key)
  const sign = order === 'timedesc' ? -1 : 1
  return a.time === b.time ? byKey(a.key, b.key) : a.time < b.time ? -sign : sign
}

function cursorOf(order: Order, item: Sortable): string {
  return order === 'name' ? item.key : `${item.time}&${item.key}`
}

function parseCursor(order: Order, last: string): Sortable | undefined {
  if (order === 'name') return { key: last, time: 0n }
  const split = last.indexOf('&')
  const time = last.slice(0, split)
  return split > 0 && /^\d+$/.test(time)
    ? { key: last.slice(split + 1), time: BigInt(time) }
    : undefined
}

/** The page after `last`; an item deleted since `last` was handed out does not break the walk. */
function page<T>(
  items: T[],
  sortable: (item: T) => Sortable,
  order: Order,
  n: number,
  last: string | null
): Page<T> {
  const sorted = [...items].sort((a, b) => compare(order, sortable(a), sortable(b)))
  const cursor = last ? parseCursor(order, last) : undefined
  const rest = cursor ? sorted.filter(item => compare(order, sortable(item), cursor) > 0) : sorted
  const chosen = rest.slice(0, n)
  const lastChosen = chosen[chosen.length - 1]
  return rest.length > n && lastChosen !== undefined
    ? { items: chosen, next: cursorOf(order, sortable(lastChosen)) }
    : { items: chosen }
}

/** For lists that only ever go by name (catalogs, /v2/ tag lists). */
export const byName = (key: string): Sortable => ({ key, time: 0n })

/**
 * The page a list request asks for, and the Link to the next one. /acr/v1
 * honours `orderby` and writes it into the Link (empty when unset, as ACR
 * does) followed by any `digest` filter; /v2/ lists go by name, `last` and `n`.
 */
export function pageOf<T>(
  api: 'v2' | 'acr',
  query: URLSearchParams,
  path: string,
  items: T[],
  sortable: (item: T) => Sortable
): { items: T[]; headers: Record<string, string> } {
  const orderby = api === 'acr' ? (query.get('orderby') ?? '') : undefined
  const n = pageSize(query.get('n'))
  const result = page(items, sortable, orderOf(orderby ?? null), n, query.get('last'))
  if (result.next === undefined) return { items: result.items, headers: {} }
  const digest = api === 'acr' ? query.get('digest') : null
  const params: Array<[string, string]> = [
    ['last', result.next],
    ['n', String(n)],
    ...(orderby === undefined ? [] : [['orderby', orderby] as [string, string]]),
    ...(digest ? [['digest', digest] as [string, string]] : [])
  ]
  const search = params.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')
  return { items: result.items, headers: { link: `<${path}?${search}>; rel="next"` } }
}
