import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderErrorsDoc } from './doc.js';
import { ERROR_TABLE } from './codes.js';

test('docs/errors.md is generated from the current error table (run npm run docs)', () => {
  const committed = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(committed, renderErrorsDoc());
});

test('every error code maps to a 4xx or 5xx HTTP status', () => {
  for (const [code, row] of Object.entries(ERROR_TABLE)) {
    assert.ok(row.http >= 400 && row.http < 600, code);
  }
});
