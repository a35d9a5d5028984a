// What ACR shows about a manifest, read from its bytes: media type, size (ACR's
// `imageSize` is the manifest's own size, e.g. 525 for hello-world's amd64
// image), platform (from the image config), an index's references, and the
// OCI 1.1 fields the referrers API needs (subject, artifactType, annotations).

export interface Platform {
  architecture?: string
  os?: string
}

export interface ManifestReference extends Platform {
  digest: string
}

export interface ManifestDetails extends Platform {
  digest: string
  mediaType: string
  size: number
  references?: ManifestReference[]
  subject?: string
  artifactType?: string
  annotations?: Record<string, string>
}

interface Descriptor {
  mediaType?: string
  digest?: string
  platform?: Platform
}

interface ManifestJson {
  mediaType?: string
  artifactType?: string
  config?: Descriptor
  manifests?: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

const IMAGE_CONFIGS = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json'
]
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json'

function parse<T>(bytes: Buffer): T | undefined {
  try {
    return JSON.parse(bytes.toString('utf8')) as T
  } catch {
    return undefined
  }
}

function platformOf(value: Platform | undefined): Platform {
  return {
    ...(typeof value?.architecture === 'string' ? { architecture: value.architecture } : {}),
    ...(typeof value?.os === 'string' ? { os: value.os } : {})
  }
}

export async function describeManifest(
  digest: string,
  bytes: Buffer,
  contentType: string | undefined,
  readBlob: (digest: string) => Promise<Buffer | undefined>
): Promise<ManifestDetails> {
  const manifest = parse<ManifestJson>(bytes) ?? {}
  const config = manifest.config
  const isImage = config?.mediaType !== undefined && IMAGE_CONFIGS.includes(config.mediaType)
  const configBytes = isImage && config?.digest ? await readBlob(config.digest) : undefined
  const platform = configBytes ? platformOf(parse<Platform>(configBytes)) : {}
  // OCI 1.1: an image's artifactType falls back to its config's media type.
  const artifactType =
    manifest.artifactType ??
    (config?.mediaType && !isImage && config.mediaType !== EMPTY_CONFIG
      ? config.mediaType
      : undefined)
  return {
    digest,
    mediaType: manifest.mediaType ?? contentType ?? '',
    size: bytes.length,
    ...platform,
    ...(manifest.manifests
      ? {
          references: manifest.manifests
            .filter(
              (child): child is Descriptor & { digest: string } => typeof child.digest === 'string'
            )
            .map(child => ({ digest: child.digest, ...platformOf(child.platform) }))
        }
      : {}),
    ...(typeof manifest.subject?.digest === 'string' ? { subject: manifest.subject.digest } : {}),
    ...(artifactType ? { artifactType } : {}),
    ...(manifest.annotations ? { annotations: manifest.annotations } : {})
  }
}
