// The demo's workflow: what each step asks of the action and what it must
// have done. A step's check reads its outputs, the files it wrote and the
// plan it made, and names every difference from what was expected.

import { join } from 'node:path'
import {
  buildLayout,
  describeTree,
  SITE_FILES,
  writeBuild,
  writeSite,
  type FileFacts
} from './content.js'
import { BUILDS, SITE, type DemoStep, type Learned, type StepContext } from './demo-step.js'
import { pruneDryRun, prune } from './prune-steps.js'
import { expectEqual, parseJson, succeeded } from './step-checks.js'
import type { DemoStack } from './stack.js'

export type { DemoStep } from './demo-step.js'

export function demoSteps(stack: DemoStack, stamp: string): DemoStep[] {
  const learned: Learned = {
    sitePaths: [],
    siteDigest: '',
    imageDigest: '',
    builds: [],
    planned: []
  }
  const context = { ...stack, stamp, learned }
  return [
    pushFiles(context),
    pushLayout(context),
    pull(context),
    lock(context),
    ...Array.from({ length: BUILDS }, (_, i) => pushBuild(context, i + 1)),
    pruneDryRun(context),
    prune(context)
  ]
}

function pushFiles({ workspace, signIn, stamp, learned }: StepContext): DemoStep {
  return {
    title: 'push files',
    prepare: async () => {
      learned.sitePaths = await writeSite(workspace, stamp)
      return {
        operation: 'push',
        repository: SITE,
        tag: 'v1\nlatest',
        files: SITE_FILES,
        ...signIn
      }
    },
    check: async outcome => {
      const problems = succeeded(outcome)
      learned.siteDigest = outcome.outputs.digest ?? ''
      expectEqual(problems, 'tags output', outcome.outputs.tags, 'v1,latest')
      const layers = parseJson<{ layers?: Array<{ title?: string }> }>(
        outcome.outputs.result
      ).layers
      const titles = (layers ?? []).map(layer => layer.title ?? '').sort()
      const expected = ['data/build.json', 'data/checks.json', 'readme.txt', 'site']
      expectEqual(problems, 'layer titles', titles.join(', '), expected.join(', '))
      return problems
    }
  }
}

function pushLayout({ workspace, signIn, stamp, learned }: StepContext): DemoStep {
  return {
    title: 'push an image layout',
    prepare: async () => {
      learned.imageDigest = (await buildLayout(join(workspace, 'image-layout'), stamp)).digest
      return {
        operation: 'push',
        repository: 'demo/image',
        tag: '1.0',
        'oci-layout': 'image-layout',
        ...signIn
      }
    },
    check: async outcome => {
      const problems = succeeded(outcome)
      expectEqual(
        problems,
        "digest (the layout's own)",
        outcome.outputs.digest,
        learned.imageDigest
      )
      return problems
    }
  }
}

function pull({ workspace, signIn, learned }: StepContext): DemoStep {
  const folder = join(workspace, 'pulled')
  const pulled = (): Promise<FileFacts[]> => describeTree(folder).catch(() => [])
  return {
    title: 'pull',
    prepare: async () => ({
      operation: 'pull',
      repository: SITE,
      tag: 'v1',
      path: 'pulled',
      ...signIn
    }),
    check: async outcome => {
      const problems = succeeded(outcome)
      expectEqual(problems, 'digest', outcome.outputs.digest, learned.siteDigest)
      const source = (await describeTree(workspace)).filter(f => learned.sitePaths.includes(f.path))
      const listing = (files: FileFacts[]): string =>
        files.map(f => `${f.path} ${f.sha256}`).join(', ')
      expectEqual(
        problems,
        'files pulled (path and sha256)',
        listing(await pulled()),
        listing(source)
      )
      return problems
    },
    show: async () => {
      const files = await pulled()
      const sizes = Math.max(1, ...files.map(file => String(file.size).length))
      const paths = Math.max(1, ...files.map(file => file.path.length))
      return [
        `files written to ${folder}:`,
        ...files.map(
          f =>
            `  ${String(f.size).padStart(sizes)} B  ${f.path.padEnd(paths)}  sha256:${f.sha256.slice(0, 12)}…`
        )
      ]
    }
  }
}

function lock({ signIn }: StepContext): DemoStep {
  return {
    title: 'lock',
    prepare: async () => ({ operation: 'lock', repository: SITE, tag: 'v1', ...signIn }),
    check: async outcome => {
      const problems = succeeded(outcome)
      type Items = { items?: Array<{ after?: Record<string, boolean> }> }
      const after = parseJson<Items>(outcome.outputs.result).items?.[0]?.after ?? {}
      const state = `writeEnabled ${after.writeEnabled}, deleteEnabled ${after.deleteEnabled}`
      expectEqual(problems, 'v1 after the lock', state, 'writeEnabled false, deleteEnabled false')
      return problems
    }
  }
}

function pushBuild({ workspace, signIn, stamp, learned }: StepContext, n: number): DemoStep {
  return {
    title: `push build-${n} (CI, meanwhile)`,
    quiet: true,
    prepare: async () => {
      const file = await writeBuild(join(workspace, 'builds'), n, stamp)
      return {
        operation: 'push',
        repository: SITE,
        tag: `build-${n}`,
        path: 'builds',
        files: file,
        ...signIn
      }
    },
    check: async outcome => {
      if (outcome.outputs.digest) learned.builds.push(outcome.outputs.digest)
      return succeeded(outcome)
    }
  }
}
