import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface JsonLine {
  /** 1-based line in the file, blank lines counted. */
  line: number;
  value: unknown;
}

/** The errors readJsonLines throws: each caller names its own flag and code. */
export interface JsonLineErrors {
  /** The file cannot be opened. */
  unreadable(): Error;
  /** Line `line` is not valid JSON (never quote the line: it may hold data). */
  invalid(line: number): Error;
}

/**
 * The JSON value of every non-blank line of a JSON-lines file, streamed, with its line number.
 * Leaving the loop early closes the file.
 */
export async function* readJsonLines(path: string, errors: JsonLineErrors): AsyncGenerator<JsonLine> {
  const input = createReadStream(path);
  try {
    await new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', reject);
    }).catch(() => {
      throw errors.unreadable();
    });
    let line = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw errors.invalid(line);
      }
      yield { line, value };
    }
  } finally {
    input.destroy();
  }
}
