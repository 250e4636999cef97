import type { FastifyInstance } from 'fastify';
import type { InferenceService } from '../../serving/index.js';
import { decodeInferRequest, encodeInferResponse } from './oip-codec.js';
import type { BodyLimits } from './oip-codec.js';
import { modelRoute } from './model-routes.js';

const EMPTY = new Uint8Array(0);

/**
 * POST /v2/models/{m}[/versions/{v}]/infer: decode (JSON or binary extension), call the service,
 * encode. The signature is fetched only when the codec needs it (raw binary requests, datatypes).
 */
export function registerInferRoute(app: FastifyInstance, service: InferenceService, limits: BodyLimits): void {
  modelRoute(app, 'POST', '/infer', async ({ model, version }, request, reply) => {
    const body = request.body instanceof Uint8Array ? request.body : EMPTY;
    const header = request.headers['inference-header-content-length'];
    const headerLength = Array.isArray(header) ? header.join(',') : header;
    const decoded = decodeInferRequest(body, headerLength, limits, () => service.modelMetadata(model, version));
    const response = await service.infer(request.principal === undefined ? { ...decoded, model, version } : { ...decoded, model, version, principal: request.principal });
    const encoded = encodeInferResponse(decoded, response);
    reply.header('content-type', encoded.contentType);
    if (encoded.headerLength !== undefined) {
      reply.header('inference-header-content-length', String(encoded.headerLength));
    }
    const payload = encoded.body;
    return typeof payload === 'string'
      ? reply.send(payload)
      : reply.send(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  });
}
