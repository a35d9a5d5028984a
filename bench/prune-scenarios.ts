// The prune benchmark's settings, from the environment, and its scenarios:
// what each sets on the ACR emulator before every timed run.

import type { AcrEmulator } from '../test/emulators/acr/index.js'
import type { FleetSize } from './prune-fleet.js'
import type { PruneScenario } from './prune-report.js'

export interface Settings {
  size: FleetSize
  runs: number
  writesPerMinute: number
  latencyMs: number
  scenarios: Set<string>
  peers: Set<string>
}

export function settings(): Settings {
  const whole = (name: string, fallback: number, least = 1): number => {
    const value = Number(process.env[name] ?? fallback)
    if (!Number.isInteger(value) || value < least) {
      throw new Error(`${name} must be a whole number ≥ ${least}`)
    }
    return value
  }
  const list = (name: string, fallback: string): Set<string> =>
    new Set((process.env[name] ?? fallback).split(',').map(s => s.trim()))
  return {
    size: {
      repos: whole('BENCH_PRUNE_REPOS', 20),
      images: whole('BENCH_PRUNE_IMAGES', 100),
      keep: whole('BENCH_PRUNE_KEEP', 10)
    },
    runs: whole('BENCH_PRUNE_RUNS', 3),
    writesPerMinute: whole('BENCH_PRUNE_WRITES_PER_MINUTE', 1000),
    latencyMs: whole('BENCH_PRUNE_LATENCY_MS', 20, 0),
    scenarios: list('BENCH_PRUNE_SCENARIOS', 'throttle,latency,pace'),
    peers: list('BENCH_PRUNE_PEERS', 'action,raw,sdk')
  }
}

export interface Setting extends PruneScenario {
  /** Puts the emulator in this scenario; called just before each timed run. */
  apply(acr: AcrEmulator): void
}

export function scenarioList(s: Settings): Setting[] {
  const all: Setting[] = [
    {
      id: 'throttle',
      label: `(a) writes throttled to ${s.writesPerMinute.toLocaleString('en')} a minute`,
      detail: `\`faults.throttleWrites(${s.writesPerMinute})\`: each write beyond ${s.writesPerMinute} in the last 60 s is answered 429 with Retry-After (whole seconds until the oldest leaves the window), no latency`,
      apply: acr => {
        acr.latency(0)
        acr.faults.throttleWrites(s.writesPerMinute)
      }
    },
    {
      id: 'latency',
      label: `(b) ${s.latencyMs} ms latency, no throttle`,
      detail: `\`latency(${s.latencyMs})\`: every request to the login server, token endpoints included, waits ${s.latencyMs} ms before it is handled`,
      apply: acr => {
        acr.faults.throttleWrites(undefined)
        acr.latency(s.latencyMs)
      }
    },
    {
      id: 'pace',
      label: '(c) reference: no throttle, no latency',
      detail:
        'the raw limit alone, to show how long the emulator itself takes for this work; no target',
      peers: ['raw'],
      apply: acr => {
        acr.faults.throttleWrites(undefined)
        acr.latency(0)
      }
    }
  ]
  return all.filter(scenario => s.scenarios.has(scenario.id))
}
