// The manifest of a files push is the same bytes for the same content: fixed
// key order, sorted annotations, nothing empty written out.

import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import {
  artifactManifest,
  type ArtifactParts
} from '../../src/operations/push/artifact-manifest.js'
import { mediaTypes } from '../../src/registry/media-types.js'

const digestOf = (text: string): string =>
  `sha256:${createHash('sha256').update(text).digest('hex')}`

const config = { mediaType: mediaTypes.ociEmpty, digest: digestOf('{}'), size: 2 }
const layerA = {
  mediaType: 'application/octet-stream',
  digest: digestOf('a'),
  size: 1,
  annotations: { 'org.opencontainers.image.title': 'a.txt' }
}
const layerB = {
  mediaType: mediaTypes.ociLayerTarGzip,
  digest: digestOf('b'),
  size: 20,
  annotations: {
    'org.opencontainers.image.title': 'docs',
    'io.deis.oras.content.unpack': 'true',
    'io.deis.oras.content.digest': digestOf('tar')
  }
}
const subject = { mediaType: mediaTypes.ociManifest, digest: digestOf('subject'), size: 500 }

function parts(overrides: Partial<ArtifactParts> = {}): ArtifactParts {
  return {
    artifactType: 'application/vnd.example.thing.v1',
    config,
    layers: [layerA, layerB],
    subject,
    annotations: {
      'org.opencontainers.image.source': 'https://github.example/o/r',
      'com.example.b': '2',
      'com.example.a': '1'
    },
    ...overrides
  }
}

describe('artifactManifest', () => {
  it('gives the same bytes whatever order the annotations were added in', () => {
    const reversed = parts({
      annotations: Object.fromEntries(Object.entries(parts().annotations).reverse()),
      layers: [
        layerA,
        { ...layerB, annotations: Object.fromEntries(Object.entries(layerB.annotations).reverse()) }
      ]
    })
    const first = artifactManifest(parts())
    expect(artifactManifest(reversed).equals(first)).toBe(true)
    expect(digestOf(artifactManifest(reversed).toString())).toBe(digestOf(first.toString()))
  })

  it('writes the keys in a fixed order and the annotations sorted, without whitespace', () => {
    const bytes = artifactManifest(parts()).toString()
    const manifest = JSON.parse(bytes) as Record<string, unknown>
    expect(Object.keys(manifest)).toEqual([
      'schemaVersion',
      'mediaType',
      'artifactType',
      'config',
      'layers',
      'subject',
      'annotations'
    ])
    expect(manifest.schemaVersion).toBe(2)
    expect(manifest.mediaType).toBe(mediaTypes.ociManifest)
    expect(Object.keys(manifest.annotations as object)).toEqual([
      'com.example.a',
      'com.example.b',
      'org.opencontainers.image.source'
    ])
    const layers = manifest.layers as Array<{ annotations: object }>
    expect(Object.keys(layers[1]!)).toEqual(['mediaType', 'digest', 'size', 'annotations'])
    expect(Object.keys(layers[1]!.annotations)).toEqual([
      'io.deis.oras.content.digest',
      'io.deis.oras.content.unpack',
      'org.opencontainers.image.title'
    ])
    expect(bytes).toBe(JSON.stringify(JSON.parse(bytes)))
    expect(bytes).not.toMatch(/\s/)
  })

  it('writes the descriptors as given, layers in order', () => {
    const manifest = JSON.parse(artifactManifest(parts()).toString()) as {
      config: unknown
      layers: unknown[]
      subject: unknown
      artifactType: string
    }
    expect(manifest.config).toEqual(config)
    expect(manifest.layers).toEqual([layerA, layerB])
    expect(manifest.subject).toEqual(subject)
    expect(manifest.artifactType).toBe('application/vnd.example.thing.v1')
  })

  it('leaves out empty annotations and an absent subject', () => {
    const bytes = artifactManifest(
      parts({
        annotations: {},
        subject: undefined,
        layers: [{ ...layerA, annotations: {} }]
      })
    ).toString()
    const manifest = JSON.parse(bytes) as Record<string, unknown>
    expect(Object.keys(manifest)).toEqual([
      'schemaVersion',
      'mediaType',
      'artifactType',
      'config',
      'layers'
    ])
    expect((manifest.layers as object[])[0]).toEqual({
      mediaType: layerA.mediaType,
      digest: layerA.digest,
      size: layerA.size
    })
    expect(bytes).not.toContain('annotations')
  })

  it('gives different bytes for different content', () => {
    const one = artifactManifest(parts())
    const other = artifactManifest(parts({ annotations: { 'com.example.a': 'changed' } }))
    expect(other.equals(one)).toBe(false)
  })
})
