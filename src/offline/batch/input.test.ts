import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServingError } from '../../errors/index.js';
import { CSV_MAX_QUEUED_CHUNKS, openInput } from './input.js';
import type { InputReader, InputRow } from './input.js';

async function all(reader: InputReader): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  for await (const run of reader.rows()) {
    assert.ok(run.length > 0, 'a run of rows is never empty');
    rows.push(...run);
  }
  return rows;
}

async function failure(path: string, chunkBytes?: number): Promise<ServingError> {
  try {
    await all(await openInput(path, 'csv', chunkBytes === undefined ? {} : { csvReadChunkBytes: chunkBytes }));
  } catch (err) {
    assert.ok(err instanceof ServingError);
    return err;
  }
  assert.fail('the file was read without an error');
}

describe('CSV input', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-csv-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a BOM and CRLF line ends are not part of the header or the values', async () => {
    await writeFile(join(dir, 'bom.csv'), '\ufeffkey,x\r\na,1\r\nb,2\r\n');
    const reader = await openInput(join(dir, 'bom.csv'));
    assert.deepEqual(reader.columns, ['key', 'x']);
    assert.deepEqual(await all(reader), [{ values: ['a', '1'], position: 2 }, { values: ['b', '2'], position: 3 }]);
  });

  test('quoted fields keep commas, quotes and line breaks, and later rows keep their file line', async () => {
    const text = 'key,note\na,"one, two"\nb,"say ""hi"""\nc,"line 1\nline 2\nline 3"\n\nd,plain\n';
    await writeFile(join(dir, 'quoted.csv'), text);
    const rows = await all(await openInput(join(dir, 'quoted.csv')));
    assert.deepEqual(rows, [
      { values: ['a', 'one, two'], position: 2 },
      { values: ['b', 'say "hi"'], position: 3 },
      { values: ['c', 'line 1\nline 2\nline 3'], position: 4 },
      // Line 7 is empty and skipped.
      { values: ['d', 'plain'], position: 8 },
    ]);
  });

  test('multi-byte characters split across read chunks come out whole', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `ß€😀${i}`);
    await writeFile(join(dir, 'utf8.csv'), `key,name\n${names.map((n, i) => `k${i},${n}`).join('\n')}\n`);
    const rows = await all(await openInput(join(dir, 'utf8.csv'), 'csv', { csvReadChunkBytes: 7 }));
    assert.deepEqual(rows.map((r) => r.values[1]), names);
    assert.deepEqual(rows.map((r) => r.position), names.map((_, i) => i + 2));
  });

  test('a row with another number of fields than the header is corrupt at its line', async () => {
    await writeFile(join(dir, 'short.csv'), 'key,x,y\na,1,2\nb,"two\nlines",3\nc,1\n');
    const err = await failure(join(dir, 'short.csv'));
    assert.equal(err.code, 'INPUT_INVALID');
    assert.match(err.message, /corrupt at line 5: 2 fields where the header has 3/);
  });

  test('an unclosed quote is corrupt at the line where its record starts', async () => {
    await writeFile(join(dir, 'quote.csv'), 'key,x\na,1\nb,"2\nc,3\n');
    const err = await failure(join(dir, 'quote.csv'));
    assert.equal(err.code, 'INPUT_INVALID');
    assert.match(err.message, /corrupt at line 3: a quote is not closed/);
  });

  test('text after a closing quote is corrupt; a quote inside an unquoted field is kept as text', async () => {
    await writeFile(join(dir, 'after.csv'), 'key,x\na,1\nb,"2"x\n');
    const err = await failure(join(dir, 'after.csv'));
    assert.equal(err.code, 'INPUT_INVALID');
    assert.match(err.message, /corrupt at line 3: a quote is not closed, or text follows a closing quote/);
    await writeFile(join(dir, 'inner.csv'), 'key,x\na,1\nb,2"5\n');
    const rows = await all(await openInput(join(dir, 'inner.csv')));
    assert.deepEqual(rows.map((r) => r.values[1]), ['1', '2"5']);
  });

  test('an unclosed quote stops at csvMaxRecordBytes instead of holding the rest of the file', async () => {
    const rest = 'c,3\n'.repeat(2000);
    await writeFile(join(dir, 'open.csv'), `key,x\na,1\nb,"2\n${rest}`);
    const reader = await openInput(join(dir, 'open.csv'), 'csv', { csvReadChunkBytes: 256, csvMaxRecordBytes: 1024 });
    await assert.rejects(all(reader), (e: ServingError) =>
      e.code === 'INPUT_INVALID' && /corrupt at line 3: a record is longer than 1024 bytes/.test(e.message));
    // A long record under the limit still reads.
    const long = 'v'.repeat(900);
    await writeFile(join(dir, 'long.csv'), `key,x\na,"${long}"\nb,2\n`);
    const rows = await all(await openInput(join(dir, 'long.csv'), 'csv', { csvReadChunkBytes: 256, csvMaxRecordBytes: 1024 }));
    assert.deepEqual(rows.map((r) => String(r.values[1]).length), [900, 1]);
  });

  test('an empty file has no header row', async () => {
    await writeFile(join(dir, 'empty.csv'), '');
    await assert.rejects(openInput(join(dir, 'empty.csv')), (e: ServingError) => e.code === 'INPUT_INVALID' && /line 1: no header row/.test(e.message));
  });

  test('a slow reader holds the file back: bytes read stay within a few chunks of the rows taken', async () => {
    const chunkBytes = 256;
    const lines = Array.from({ length: 5000 }, (_, i) => `k${String(i).padStart(5, '0')},${i}`);
    await writeFile(join(dir, 'long.csv'), `key,x\n${lines.join('\n')}\n`);
    const reader = await openInput(join(dir, 'long.csv'), 'csv', { csvReadChunkBytes: chunkBytes });
    let taken = 'key,x\n'.length;
    let seen = 0;
    let mostAhead = 0;
    for await (const run of reader.rows()) {
      for (const row of run) {
        assert.equal(row.values[0], `k${String(seen).padStart(5, '0')}`);
        taken += lines[seen]!.length + 1;
        seen++;
      }
      mostAhead = Math.max(mostAhead, reader.progressDone() - taken);
      // A slow consumer: give the file stream every chance to run ahead.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(seen, lines.length);
    assert.equal(reader.progressDone(), reader.progressTotal);
    assert.ok(mostAhead <= (CSV_MAX_QUEUED_CHUNKS + 3) * chunkBytes, `read ${mostAhead} bytes ahead of the rows taken`);
  });
});
