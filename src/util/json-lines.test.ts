import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines } from './json-lines.js';

const errors = { unreadable: () => new Error('unreadable'), invalid: (line: number) => new Error(`invalid at ${line}`) };

async function all(path: string): Promise<unknown[]> {
  const out = [];
  for await (const l of readJsonLines(path, errors)) out.push(l);
  return out;
}

describe('readJsonLines', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-jsonl-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('values of non-blank lines with their file line, CRLF accepted', async () => {
    await writeFile(join(dir, 'a.jsonl'), '{"a":1}\r\n\r\n  \n[2]\n"x"');
    assert.deepEqual(await all(join(dir, 'a.jsonl')), [{ line: 1, value: { a: 1 } }, { line: 4, value: [2] }, { line: 5, value: 'x' }]);
  });

  test("a line that is not JSON throws the caller's error with its line; a missing file the unreadable one", async () => {
    await writeFile(join(dir, 'b.jsonl'), '{"a":1}\n\n{oops\n');
    await assert.rejects(all(join(dir, 'b.jsonl')), /invalid at 3/);
    await assert.rejects(all(join(dir, 'absent.jsonl')), /unreadable/);
  });

  test('leaving the loop early stops reading', async () => {
    await writeFile(join(dir, 'c.jsonl'), Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i })).join('\n'));
    const seen = [];
    for await (const l of readJsonLines(join(dir, 'c.jsonl'), errors)) {
      seen.push(l.value);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, [{ i: 0 }, { i: 1 }]);
  });
});
