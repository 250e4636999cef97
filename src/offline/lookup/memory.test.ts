import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ServingError } from '../../errors/index.js';
import { loadFile } from './memory.js';

const HEADER = JSON.stringify({ set: 'purchase_daily', model: 'purchase', version: '2', default: { probability: [0.1] } });

describe('loadFile (flat prediction files)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skein-flat-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('reads the header and values, skipping blank lines; a repeated key keeps its last value', async () => {
    const path = await file('ok.jsonl', `${HEADER}\n\n{"key":"u1","value":{"probability":[0.4]}}\n{"key":"u1","value":{"probability":[0.7]}}\n`);
    const table = await loadFile(path, 10);
    assert.equal(table.set, 'purchase_daily');
    assert.deepEqual(table.values.get('u1'), { probability: [0.7] });
    assert.equal(table.values.size, 1);
  });

  it('names the line of invalid JSON, counting blank lines, and of a line that is not an object', async () => {
    const bad = await file('bad.jsonl', `${HEADER}\n\n{"key":"u1",\n`);
    await assert.rejects(loadFile(bad, 10), (err: unknown) =>
      err instanceof ServingError && err.code === 'INVALID_CONFIG' && /line 3: not valid JSON/.test(err.message));
    const list = await file('list.jsonl', `${HEADER}\n[1]\n`);
    await assert.rejects(loadFile(list, 10), (err: unknown) =>
      err instanceof ServingError && /line 2: not a JSON object/.test(err.message));
  });

  it('refuses a missing file with INVALID_CONFIG, without its path in the message', async () => {
    const missing = join(dir, 'absent.jsonl');
    await assert.rejects(loadFile(missing, 10), (err: unknown) =>
      err instanceof ServingError && err.code === 'INVALID_CONFIG' && /cannot be read/.test(err.message) && !err.message.includes(missing));
  });
});
