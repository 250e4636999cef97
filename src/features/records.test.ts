import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServingError } from '../errors/index.js';
import { readRecords } from './records.js';

async function all(path: string): Promise<{ values: Record<string, unknown>; position: number }[]> {
  const out = [];
  for await (const r of readRecords(path, 'csv', '--events')) out.push(r);
  return out;
}

describe('CSV event and entity logs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-records-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('rows are objects by header name, text values, file lines as positions', async () => {
    await writeFile(join(dir, 'events.csv'), '\ufeffuser_id,query\r\nu1,"cable, needles"\r\n\r\nu2,"two\r\nlines"\r\nu3,\r\n');
    assert.deepEqual(await all(join(dir, 'events.csv')), [
      { values: { user_id: 'u1', query: 'cable, needles' }, position: 2 },
      { values: { user_id: 'u2', query: 'two\r\nlines' }, position: 4 },
      { values: { user_id: 'u3', query: '' }, position: 6 },
    ]);
  });

  test('a corrupt log is INPUT_INVALID naming the flag and the line, never the path', async () => {
    await writeFile(join(dir, 'bad.csv'), 'user_id,query\nu1,a\nu2\n');
    await assert.rejects(all(join(dir, 'bad.csv')), (e: ServingError) =>
      e.code === 'INPUT_INVALID' && /^--events \(csv\) is corrupt at line 3/.test(e.message) && !e.message.includes(dir));
  });

  test('a missing log is INVALID_CONFIG', async () => {
    await assert.rejects(all(join(dir, 'absent.csv')), (e: ServingError) => e.code === 'INVALID_CONFIG' && /--events cannot be read/.test(e.message));
  });
});
