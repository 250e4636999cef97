import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { aspiredVersions, nextActions } from './policy.js';
import type { VersionState } from '../serving/types.js';

const states = (o: Record<number, VersionState>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v] as const));

describe('aspiredVersions', () => {
  test('latest N takes the N highest versions', () => {
    assert.deepEqual(aspiredVersions([3, 1, 10, 2], { latest: 2 }), [3, 10]);
    assert.deepEqual(aspiredVersions([1], { latest: 3 }), [1]);
  });
  test('all takes every version; specific takes the named ones that exist', () => {
    assert.deepEqual(aspiredVersions([2, 1], { all: true }), [1, 2]);
    assert.deepEqual(aspiredVersions([1, 2, 3], { specific: [3, 7] }), [3]);
  });
});

describe('nextActions, availability-preserving', () => {
  test('loads a new version while the old one keeps serving', () => {
    assert.deepEqual(nextActions([2], states({ 1: 'ready' }), 'availability'), [{ kind: 'load', version: 2 }]);
  });
  test('keeps the old version while the new one is loading', () => {
    assert.deepEqual(nextActions([2], states({ 1: 'ready', 2: 'loading' }), 'availability'), []);
  });
  test('unloads the old version once the new one is ready', () => {
    assert.deepEqual(nextActions([2], states({ 1: 'ready', 2: 'ready' }), 'availability'), [{ kind: 'unload', version: 1 }]);
  });
  test('never unloads the last good version when the new one failed', () => {
    assert.deepEqual(nextActions([2], states({ 1: 'ready', 2: 'failed' }), 'availability'), []);
  });
  test('does not retry a failed version', () => {
    assert.deepEqual(nextActions([1], states({ 1: 'failed' }), 'availability'), []);
  });
  test('unloads everything when the model leaves the repository', () => {
    assert.deepEqual(nextActions([], states({ 1: 'ready', 2: 'ready' }), 'availability'), [
      { kind: 'unload', version: 1 },
      { kind: 'unload', version: 2 },
    ]);
  });
  test('forgets a failed version that is no longer aspired', () => {
    assert.deepEqual(nextActions([3], states({ 2: 'failed', 3: 'ready' }), 'availability'), [{ kind: 'unload', version: 2 }]);
  });
});

describe('nextActions, resource-preserving', () => {
  test('unloads the old version before loading the new one', () => {
    assert.deepEqual(nextActions([2], states({ 1: 'ready' }), 'resource'), [{ kind: 'unload', version: 1 }]);
    assert.deepEqual(nextActions([2], states({ 1: 'unloading' }), 'resource'), []);
    assert.deepEqual(nextActions([2], states({}), 'resource'), [{ kind: 'load', version: 2 }]);
  });
});
