import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` (without extension) beside `base` (a module's
 * import.meta.url), with `workerData` for it. From compiled JavaScript that is `name.js`. From TypeScript sources (tests,
 * tsx), Node 20 does not carry tsx's loader hooks into worker threads, so the worker registers
 * tsx itself before importing `name.ts`.
 */
export function startModuleWorker(base: string, name: string, workerData?: unknown): Worker {
  const ext = extname(fileURLToPath(base));
  const url = new URL(`./${name}${ext}`, base);
  if (ext !== '.ts') return new Worker(url, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(code, { eval: true, workerData });
}
