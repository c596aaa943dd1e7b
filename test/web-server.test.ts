/**
 * The web app's page server (web/serve.mjs) under hostile and heavy
 * requests, in a child process of its own: every malformed request gets a
 * 4xx, nothing outside the served folders is reachable, 200 parallel
 * downloads of a 12 MB model stream with bounded memory, and the server
 * answers normally afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const serveUrl = new URL('../web/serve.mjs', import.meta.url).href;
const MODEL_BYTES = 12 << 20;
let dir: string;
let server: ChildProcess;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pneumo-serve-'));
  writeFileSync(join(dir, 'model.safetensors'), Buffer.alloc(MODEL_BYTES, 7));
  writeFileSync(join(dir, 'model.json'), '{"ok":true}');
  const script = `const m = await import(${JSON.stringify(serveUrl)}); const s = await m.startServer(0, { models: ${JSON.stringify(dir)} }); console.log(s.address().port);`;
  server = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise<number>((ok, fail) => {
    server.stdout!.once('data', (d: Buffer) => ok(Number(d.toString().trim())));
    server.once('exit', (code) => fail(new Error(`the server exited (${code}) before listening`)));
  });
});

afterAll(() => {
  server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Sends one raw request line (no URL normalization on the way) and returns
 * the status code; 'closed' when the connection ended without one, 'reset'
 * when it was reset before one arrived (Node's own parser answers an
 * oversized request and drops the connection, which can reset it while the
 * request is still being written).
 */
function raw(line: string): Promise<number | 'closed' | 'reset'> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
    });
    socket.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      ok(m ? Number(m[1]) : 'closed');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') ok(m ? Number(m[1]) : 'reset');
      else fail(e);
    });
    socket.setTimeout(10_000, () => fail(new Error(`no answer to ${line.slice(0, 80)}`)));
  });
}

/** GETs a path and discards the body as it arrives; the status and the bytes received. */
function download(path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((ok, fail) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      res.on('end', () => ok({ status: res.statusCode!, bytes }));
      res.on('error', fail);
    }).on('error', fail);
  });
}

/** The server process's peak resident memory in MB (Linux). */
function peakMb(): number {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

describe('the page server', () => {
  it('answers malformed and hostile requests with a 4xx and keeps serving', async () => {
    const cases: [string, number][] = [
      ['GET /%E0%A4%A HTTP/1.1', 400],
      ['GET /models/%E0%A4%A HTTP/1.1', 400],
      ['GET /% HTTP/1.1', 400],
      ['GET /%zz HTTP/1.1', 400],
      ['GET /models/../../package.json HTTP/1.1', 404],
      ['GET /models/..%2f..%2fpackage.json HTTP/1.1', 404],
      ['GET /models/%2e%2e/%2e%2e/package.json HTTP/1.1', 404],
      ['GET /..%5c..%5cpackage.json HTTP/1.1', 404],
      ['GET /models/model.json%00.png HTTP/1.1', 404],
      [`GET /models/${fileURLToPath(serveUrl)} HTTP/1.1`, 404],
      ['GET //etc/passwd HTTP/1.1', 404],
      [`GET /${'a'.repeat(100_000)} HTTP/1.1`, 431],
      ['POST /models/model.json HTTP/1.1', 405],
      ['DELETE /models/model.json HTTP/1.1', 405],
      ['PUT / HTTP/1.1', 405],
      ['BREW /models/model.json HTTP/1.1', 400],
      ['GET not-a-path HTTP/1.1', 400],
    ];
    for (const [line, status] of cases) {
      const got = await raw(line);
      // Node's parser itself refuses some lines (an unknown method, an oversized URL); a 4xx either way,
      // though for the oversized one the answer may be lost to the reset (the server still serves: checked below).
      if (status === 431 && got === 'reset') continue;
      expect(got, line.slice(0, 80)).not.toBe('closed');
      expect(got as number, line.slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(got as number, line.slice(0, 80)).toBeLessThan(500);
      expect(got, line.slice(0, 80)).toBe(status);
    }
    expect(server.exitCode).toBeNull();
    expect(await raw('GET /models/model.json HTTP/1.1')).toBe(200);
    expect(await raw('HEAD /models/model.json HTTP/1.1')).toBe(200);
  });

  it('streams 200 parallel downloads of a 12 MB model with bounded memory', async () => {
    const before = peakMb();
    const results = await Promise.all(Array.from({ length: 200 }, () => download('/models/model.safetensors')));
    for (const r of results) expect(r).toEqual({ status: 200, bytes: MODEL_BYTES });
    // Reading the file whole per request would hold 200 x 12 MB = 2.4 GB.
    expect(peakMb() - before).toBeLessThan(300);
    expect((await download('/models/model.json')).status).toBe(200);
  });
});
