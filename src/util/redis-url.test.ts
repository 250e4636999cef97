import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitRedisPrefix } from './redis-url.js';

test('splits ?prefix= off a redis URL and leaves other URLs as they are', () => {
  assert.deepEqual(splitRedisPrefix('redis://127.0.0.1:6379/0?prefix=team-a:'), { url: 'redis://127.0.0.1:6379/0', prefix: 'team-a:' });
  assert.deepEqual(splitRedisPrefix('rediss://h:6380/2?prefix=x&tls=1'), { url: 'rediss://h:6380/2?tls=1', prefix: 'x' });
  assert.deepEqual(splitRedisPrefix('redis://127.0.0.1:6379'), { url: 'redis://127.0.0.1:6379', prefix: undefined });
  assert.deepEqual(splitRedisPrefix('not a url'), { url: 'not a url', prefix: undefined });
});
