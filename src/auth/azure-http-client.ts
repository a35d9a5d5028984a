// @azure/identity talks to Entra ID through an Azure SDK pipeline. This hands
// that pipeline's requests to the action's one transport, so the sign-in
// honours the same proxies, CA trust, retries and redirects as every other call.

import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse
} from '@azure/core-rest-pipeline'
import { Readable } from 'node:stream'
import type { RequestBody, Transport } from '../http/transport.js'

export function transportHttpClient(transport: Transport): HttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const response = await transport.send({
        method: request.method,
        url: request.url,
        headers: request.headers.toJSON({ preserveCase: true }),
        body: bodyOf(request),
        signal: request.abortSignal as AbortSignal | undefined
      })
      const headers = createHttpHeaders(response.headersObject())
      if (request.streamResponseStatusCodes?.has(response.status)) {
        return { request, status: response.status, headers, readableStreamBody: response.body }
      }
      return { request, status: response.status, headers, bodyAsText: await response.text() }
    }
  }
}

function bodyOf(request: PipelineRequest): RequestBody | undefined {
  const { body } = request
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || body instanceof Uint8Array) return body
  if (typeof body === 'function') return () => body() as Readable
  if (body instanceof Readable) {
    // A stream can be sent once; token requests are small forms and never get here.
    return () => body
  }
  throw new Error(`unsupported request body for ${request.method} ${new URL(request.url).pathname}`)
}
