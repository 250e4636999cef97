import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';

/** One line of the rejects file (JSONL). `line` is the input line (CSV, JSONL) or row (Parquet). */
export interface Reject {
  line: number;
  key: string;
  reason: string;
}

export interface RejectsSink {
  write(r: Reject): Promise<void>;
  close(): Promise<void>;
}

/**
 * The rejects file is written from scratch on every run, resumed ones included: whether a row
 * fits the model does not depend on the model's answers, so a resumed job finds the same rejects
 * again for chunks it skips, and the file is exact however often the job was killed.
 */
export function fileRejects(path: string): RejectsSink {
  const out: WriteStream = createWriteStream(path, { flags: 'w' });
  return {
    async write(r) {
      if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
    },
    async close() {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    },
  };
}

export const NO_REJECTS_FILE: RejectsSink = { write: async () => undefined, close: async () => undefined };
