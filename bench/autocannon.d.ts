/**
 * The slice of autocannon 8's programmatic API the benches use. autocannon ships no types and
 * @types/autocannon is not a dependency; if it is added later, delete this file.
 */
declare module 'autocannon' {
  import type { Buffer } from 'node:buffer';
  export interface Options {
    url: string;
    method?: 'GET' | 'POST';
    body?: string | Buffer;
    headers?: Record<string, string>;
    connections?: number;
    pipelining?: number;
    duration?: number;
    timeout?: number;
  }
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }
  export interface Result {
    requests: Histogram;
    latency: Histogram;
    throughput: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
    '2xx': number;
  }
  /** The running job: a thenable that also emits one 'response' per answer. */
  export interface Instance extends PromiseLike<Result> {
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
  }
  function autocannon(options: Options): Instance;
  export default autocannon;
}
