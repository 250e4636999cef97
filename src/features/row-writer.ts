import { closeSync, createWriteStream, openSync, readSync, type WriteStream } from 'node:fs';

/**
 * Output of the exporter: a stream written with backpressure (a full buffer waits for 'drain',
 * so memory holds at most the stream's highWaterMark), and a synchronous reader of JSON lines for
 * the statistics pass, which takes a plain Iterable.
 */
export class LineWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(path: string) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
    this.stream.on('error', (err) => { this.failure = err; });
  }

  async write(line: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(`${line}\n`)) {
      await new Promise<void>((resolve, reject) => {
        const settle = (err?: Error): void => {
          this.stream.off('drain', onDrain);
          this.stream.off('error', settle);
          if (err) reject(err);
          else resolve();
        };
        const onDrain = (): void => settle();
        this.stream.once('drain', onDrain);
        this.stream.once('error', settle);
      });
    }
  }

  private closed: Promise<void> | undefined;

  /** Flushes and closes; calling it again returns the same promise. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    }).then(() => {
      if (this.failure) throw this.failure;
    });
    return this.closed;
  }
}

/** RFC 4180: quote a cell holding a comma, a quote, a line break, or space at either end. */
export function csvCell(v: number | string | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const READ_CHUNK_BYTES = 1 << 16;

/** Parses a JSON-lines file lazily, synchronously; memory holds one chunk and one line. */
export function* jsonLinesSync(path: string): Generator<Record<string, number | string | null>> {
  const fd = openSync(path, 'r');
  const decoder = new TextDecoder();
  const buf = Buffer.alloc(READ_CHUNK_BYTES);
  let pending = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      pending += decoder.decode(buf.subarray(0, n), { stream: n > 0 });
      let start = 0;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n', start)) {
        const line = pending.slice(start, nl);
        start = nl + 1;
        if (line !== '') yield JSON.parse(line) as Record<string, number | string | null>;
      }
      pending = pending.slice(start);
      if (n === 0) break;
    }
    if (pending.trim() !== '') yield JSON.parse(pending) as Record<string, number | string | null>;
  } finally {
    closeSync(fd);
  }
}
