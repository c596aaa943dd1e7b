/**
 * silenceNativeStderr swaps file descriptor 2 itself, so each case runs in a
 * fresh Node process (the built module, as a user's script loads it) whose
 * stderr is a pipe or a file, and reads what reached it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const built = fileURLToPath(new URL('../dist/native-stderr.js', import.meta.url));
// It swaps only on Linux; elsewhere the same cases check that it leaves everything shown.
const swaps = process.platform === 'linux';
const ALL_SHOWN =
  /^before, a pipe\nhidden\nafter 42\nhidden too\nthrown inside\n(hidden \d+\n){50}descriptors leaked 0\n$/;

// Native code is stood in for by writeSync(2, …): the same write(2) a C++ fprintf ends in.
const CHILD = `
  import { fstatSync, readdirSync, writeSync } from 'node:fs';
  import { silenceNativeStderr } from ${JSON.stringify(built)};
  const fds = () => readdirSync('/dev/fd').length;
  writeSync(2, 'before, a ' + (fstatSync(2).isFIFO() ? 'pipe' : 'file') + '\\n');
  writeSync(1, 'out 1\\n');
  const open = fds();
  const got = silenceNativeStderr(() => { writeSync(2, 'hidden\\n'); return 42; });
  writeSync(2, 'after ' + got + '\\n');
  try {
    silenceNativeStderr(() => { writeSync(2, 'hidden too\\n'); throw new Error('thrown inside'); });
  } catch (e) { writeSync(2, e.message + '\\n'); }
  for (let i = 0; i < 50; i++) silenceNativeStderr(() => writeSync(2, 'hidden ' + i + '\\n'));
  writeSync(1, 'out 2\\n');
  console.error('descriptors leaked', fds() - open);`;

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

/**
 * Runs CHILD with stderr on a shell pipe (a FIFO, as in `node app.js 2>&1 | less`)
 * or on a file, stdout to a file; returns both. (Node's own spawn pipes are
 * sockets, which cannot be reopened and are left alone.)
 */
function run(stderr: 'fifo' | 'log', env: NodeJS.ProcessEnv = {}) {
  dir = mkdtempSync(join(tmpdir(), 'pneumo-stderr-'));
  const script = join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  const out = join(dir, 'out');
  const line = stderr === 'fifo' ? '"$NODE" "$SCRIPT" 2>&1 >"$OUT" | cat' : '"$NODE" "$SCRIPT" >"$OUT" 2>&1';
  const r = spawnSync('sh', ['-c', line], {
    encoding: 'utf8',
    env: { ...process.env, PNEUMO_DEBUG: '0', ...env, NODE: process.execPath, SCRIPT: script, OUT: out },
  });
  return { status: r.status, stderr: r.stdout + r.stderr, out: readFileSync(out, 'utf8') };
}

describe('silenceNativeStderr', () => {
  it('drops native writes to a piped stderr during the call only, also when the call throws, leaking no descriptor', () => {
    const r = run('fifo');
    expect(r.status, r.stderr).toBe(0);
    if (swaps) expect(r.stderr).toBe('before, a pipe\nafter 42\nthrown inside\ndescriptors leaked 0\n');
    else expect(r.stderr).toMatch(ALL_SHOWN);
    expect(r.out).toBe('out 1\nout 2\n');
  });

  it('shows everything with PNEUMO_DEBUG=1', () => {
    const r = run('fifo', { PNEUMO_DEBUG: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(ALL_SHOWN);
  });

  it('leaves a log file shared by stdout and stderr (`> log 2>&1`) alone: nothing overwritten, nothing hidden', () => {
    const r = run('log');
    expect(r.status, r.stderr).toBe(0);
    expect(r.out.startsWith('before, a file\nout 1\nhidden\nafter 42\nhidden too\nthrown inside\nhidden 0\n')).toBe(
      true,
    );
    expect(r.out.endsWith('hidden 49\nout 2\ndescriptors leaked 0\n')).toBe(true);
  });
});
