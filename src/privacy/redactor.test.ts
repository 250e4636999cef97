import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { createRedactor, luhnValid, redactString, redactValue } from './index.js';

const mark = (value: string): string =>
  `[REDACTED len=${value.length} sha256=${createHash('sha256').update(value).digest('hex').slice(0, 8)}]`;

/** A Luhn-valid number of `length` digits, from a seeded stream of digits. */
function cardNumber(digits: number[], length: number): string {
  const body = digits.slice(0, length - 1).map((d) => d % 10);
  for (let check = 0; check < 10; check++) {
    const candidate = [...body, check].join('');
    if (luhnValid(candidate)) return candidate;
  }
  throw new Error('unreachable');
}

function memoryLogger(fields: string[] = []) {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const logger = pino({ level: 'trace', ...createRedactor({ fields }).pinoOptions }, sink);
  return { logger, text: () => lines.join('') };
}

describe('redactString', () => {
  test('replaces each value by [REDACTED len=N sha256=first8hex] of that value', () => {
    assert.equal(redactString('mail ann@example.org now'), `mail ${mark('ann@example.org')} now`);
    assert.match(mark('x'), /^\[REDACTED len=1 sha256=[0-9a-f]{8}\]$/);
  });

  test('redacts Luhn-valid card numbers of 13 to 19 digits with spaces or dashes, and only those', () => {
    for (const card of ['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '4111+1111+1111+1111', '4222222222222', '6011000990139424']) {
      assert.equal(redactString(`card ${card}.`), `card ${mark(card)}.`);
    }
    const nineteen = cardNumber([4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3], 19);
    assert.equal(redactString(nineteen), mark(nineteen));
    const twelve = cardNumber([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 12);
    const twenty = cardNumber([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 20);
    for (const kept of ['4111111111111112', twelve, twenty, 'card 4111 1111 1111 1112.', '4111+1111+1111+1112']) {
      assert.equal(redactString(kept), kept);
    }
  });

  test('redacts bearer credentials whole and bare JWTs', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
    assert.equal(redactString('Authorization: Bearer abc.DEF_123'), `Authorization: ${mark('Bearer abc.DEF_123')}`);
    assert.equal(redactString(`token=${jwt}&x=1`), `token=${mark(jwt)}&x=1`);
  });

  test('redactValue walks objects, arrays and errors without touching numbers', () => {
    const out = redactValue({ a: ['b@c.de', 7], err: new Error('for b@c.de'), when: 4111111111111111, n: null, m: new Map() });
    assert.deepEqual(JSON.parse(JSON.stringify(out)).a, [mark('b@c.de'), 7]);
    assert.equal((out as { err: { message: string } }).err.message, `for ${mark('b@c.de')}`);
    assert.equal((out as { when: number }).when, 4111111111111111);
    assert.equal((out as { m: string }).m, '[object]');
  });
});

describe('logging through pino (scenario 18)', () => {
  test('1,000 log lines carrying generated e-mails, card numbers and bearer tokens hold none of them', () => {
    const { logger, text } = memoryLogger(['*.password']);
    const canaries: string[] = [];
    const emails = fc.sample(fc.emailAddress(), { seed: 18, numRuns: 1_000 });
    const digits = fc.sample(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }), { seed: 19, numRuns: 1_000 });
    const secrets = fc.sample(fc.base64String({ minLength: 24, maxLength: 64 }), { seed: 20, numRuns: 1_000 });
    for (let i = 0; i < 1_000; i++) {
      const email = emails[i] as string;
      const raw = cardNumber(digits[i] as number[], 13 + (i % 7));
      const card = i % 3 === 0 ? raw : raw.replace(/(\d{4})(?=\d)/g, i % 3 === 1 ? '$1 ' : '$1-');
      const secret = (secrets[i] as string).replace(/=+$/, '') || 'abc';
      const jwt = `eyJ${Buffer.from(`{"i":${i}}`).toString('base64url')}.eyJ${Buffer.from(email).toString('base64url')}.${secret.replaceAll('+', '-').replaceAll('/', '_')}`;
      canaries.push(email, card, raw, `Bearer ${secret}`, jwt);
      const child = logger.child({ user: email });
      switch (i % 5) {
        case 0: child.info(`payment by ${email} with ${card}`); break;
        case 1: child.warn({ order: { card, note: [`Bearer ${secret}`] } }, 'order'); break;
        case 2: child.error({ err: new Error(`lookup failed for ${email} token ${jwt}`) }, 'failed'); break;
        case 3: child.info({ req: { headers: { authorization: `Bearer ${secret}`, cookie: `s=${secret}`, 'x-api-key': secret } } }, 'req'); break;
        default: child.debug({ profile: { password: secret, contact: `${email}; ${card}` } }, jwt);
      }
    }
    const out = text();
    assert.equal(out.split('\n').filter((l) => l.length > 0).length, 1_000);
    const leaked = canaries.filter((c) => out.includes(c));
    assert.deepEqual(leaked.slice(0, 5), []);
    assert.ok(out.includes('[REDACTED len='));
  });

  test('credential headers are removed, configured fields censored, and timestamps kept', () => {
    const { logger, text } = memoryLogger(['user.phone']);
    logger.info({ req: { headers: { authorization: 'x', cookie: 'y', 'x-api-key': 'z', accept: 'json' } }, user: { phone: '555', id: 7 } });
    const line = JSON.parse(text()) as { time: number; req: { headers: Record<string, string> }; user: Record<string, unknown> };
    assert.deepEqual(line.req.headers, { accept: 'json' });
    assert.deepEqual(line.user, { phone: '[REDACTED]', id: 7 });
    assert.equal(typeof line.time, 'number');
  });
});
