/**
 * Sends a body of a given size without holding it in memory, and reads the server's answer even
 * when it arrives, and the server closes the connection, before the whole body is written. That is
 * what a server that refuses oversized bodies early does; fetch and node:http then report only
 * EPIPE and drop the answer, so this speaks HTTP/1.1 over the socket itself.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { EndpointError, type OipReply } from './client.js';

const CHUNK = new Uint8Array(64 * 1024).fill(0x20);
/** The most of an answer the kit keeps. */
const MAX_ANSWER_BYTES = 64 * 1024;

interface Parsed {
  status: number;
  headers: Headers;
  body: Buffer;
  complete: boolean;
}

function parseAnswer(raw: Buffer): Parsed | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers = new Headers();
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at > 0) headers.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  const body = raw.subarray(end + 4);
  const length = Number(headers.get('content-length') ?? NaN);
  return { status, headers, body, complete: Number.isFinite(length) && body.byteLength >= length };
}

export function postOversized(url: string, bodyBytes: number, timeoutMs: number, headers: Record<string, string> = {}): Promise<OipReply> {
  const started = performance.now();
  const target = new URL(url);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const what = `POST ${target.pathname}`;
  return new Promise((resolve, reject) => {
    const socket: Socket = target.protocol === 'https:'
      ? tlsConnect({ host: target.hostname, port, servername: target.hostname })
      : netConnect({ host: target.hostname, port });
    const received: Buffer[] = [];
    let receivedBytes = 0;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseAnswer(Buffer.concat(received));
      if (!parsed || parsed.status === 0) {
        reject(new EndpointError('network', `${what}: the server closed the connection without an HTTP answer`));
        return;
      }
      const text = parsed.body.toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      resolve({ status: parsed.status, headers: parsed.headers, body, text, elapsedMs: performance.now() - started });
    };
    const timer = setTimeout(() => {
      if (received.length > 0) return settle();
      settled = true;
      socket.destroy();
      reject(new EndpointError('timeout', `${what} got no answer within ${timeoutMs} ms (requestTimeoutMs)`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      if (receivedBytes < MAX_ANSWER_BYTES) received.push(d);
      receivedBytes += d.byteLength;
      if (parseAnswer(Buffer.concat(received))?.complete) settle();
    });
    socket.on('error', () => undefined);
    socket.on('close', settle);
    const head = [`POST ${target.pathname}${target.search} HTTP/1.1`, `host: ${target.host}`, 'content-type: application/json',
      `content-length: ${bodyBytes}`, 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
    socket.write(head);
    let left = bodyBytes;
    const write = (): void => {
      while (left > 0 && received.length === 0 && !socket.destroyed) {
        const n = Math.min(left, CHUNK.byteLength);
        left -= n;
        if (!socket.write(n === CHUNK.byteLength ? CHUNK : CHUNK.subarray(0, n))) {
          socket.once('drain', write);
          return;
        }
      }
    };
    write();
  });
}
