/**
 * OIP servers with planted faults, for testing the testkit: a fastify proxy in front of a real
 * Skein server that forwards every route unchanged and perturbs only what its fault names.
 *
 *   wrong-outputs    infer answers are rounded to 2 decimals (a serialisation bug): right
 *                    distribution, wrong values
 *   skewed           rows with feature 10 (yarnit new_user) = 1 get probability + 0.3: the
 *                    distribution moves, rows of returning users are still right
 *   errors-500       every 4xx infer answer becomes 500 {"error": "internal error"}
 *   hang             infer requests are never answered (health and metadata still are)
 *   slow-under-load  past SLOW_ARRIVALS infer requests in SLOW_WINDOW_MS, each waits SLOW_DELAY_MS
 */
import Fastify from 'fastify';

export type Fault = 'none' | 'wrong-outputs' | 'skewed' | 'errors-500' | 'hang' | 'slow-under-load';

export const SLOW_WINDOW_MS = 200;
export const SLOW_ARRIVALS = 6;
export const SLOW_DELAY_MS = 300;

export interface FaultyServer {
  url: string;
  close(): Promise<void>;
}

interface OipTensor {
  name: string;
  data?: unknown[];
}

const isInfer = (url: string): boolean => /^\/v2\/models\/[^?]+\/infer(\?|$)/.test(url);

function perturb(fault: Fault, request: Buffer, reply: { outputs?: OipTensor[] }): void {
  if (fault === 'wrong-outputs') {
    for (const o of reply.outputs ?? []) o.data = o.data?.map((v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v));
  }
  if (fault === 'skewed') {
    const input = (JSON.parse(request.toString('utf8')) as { inputs: Array<{ data: number[] }> }).inputs[0]!;
    const rows = (reply.outputs?.[0]?.data ?? []) as number[];
    const width = input.data.length / Math.max(1, rows.length);
    reply.outputs![0]!.data = rows.map((p, r) => (input.data[r * width + 10] === 1 ? Math.min(1, p + 0.3) : p));
  }
}

export async function startFaultyServer(upstream: string, fault: Fault): Promise<FaultyServer> {
  const app = Fastify({ forceCloseConnections: true, bodyLimit: 256 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const arrivals: number[] = [];

  app.all('/*', async (req, reply) => {
    const infer = req.method === 'POST' && isInfer(req.url);
    if (infer && fault === 'hang') return new Promise<never>(() => undefined);
    if (infer && fault === 'slow-under-load') {
      const now = performance.now();
      arrivals.push(now);
      while (arrivals.length > 0 && arrivals[0]! < now - SLOW_WINDOW_MS) arrivals.shift();
      if (arrivals.length > SLOW_ARRIVALS) await new Promise((r) => setTimeout(r, SLOW_DELAY_MS));
    }
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'inference-header-content-length', 'content-encoding', 'authorization']) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    const body = req.body instanceof Buffer ? req.body : undefined;
    const res = await fetch(upstream + req.url, { method: req.method, headers, ...(body && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}) });
    let bytes = Buffer.from(await res.arrayBuffer());
    let status = res.status;
    const type = res.headers.get('content-type') ?? 'application/json';
    if (infer && fault === 'errors-500' && status >= 400 && status < 500) {
      status = 500;
      bytes = Buffer.from(JSON.stringify({ error: 'internal error' }));
    } else if (infer && status === 200 && type.startsWith('application/json') && body && (fault === 'wrong-outputs' || fault === 'skewed')) {
      const parsed = JSON.parse(bytes.toString('utf8')) as { outputs?: OipTensor[] };
      perturb(fault, body, parsed);
      bytes = Buffer.from(JSON.stringify(parsed));
    }
    const binaryHeader = res.headers.get('inference-header-content-length');
    if (binaryHeader !== null) void reply.header('inference-header-content-length', binaryHeader);
    return reply.code(status).header('content-type', type).send(bytes);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
