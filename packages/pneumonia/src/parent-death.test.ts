/**
 * `pneumo train` runs its work in a child process (stderr filtered of Dawn's
 * warnings, dawn-quiet.ts). SIGKILL of the process the user started must not
 * leave that child training on its own: it exits, the lock names a dead
 * process, and `--resume` continues from the last whole checkpoint set.
 * Killed at three moments, found by what the run has done, not by a clock:
 * as soon as the run holds its lock, after the first epoch's line, and after
 * a checkpoint set is on disk.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from './data/synthetic.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir: string;
let data: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pneumo-parent-death-'));
  data = join(dir, 'data');
  writeSyntheticDataset(data, { perClass: { train: 12, val: 2, test: 4 }, seed: 5, sizeRange: [40, 48] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function train(out: string, ...extra: string[]): ChildProcess {
  const args = [
    cli,
    'train',
    '--data',
    data,
    '--out',
    out,
    '--epochs',
    '6',
    '--max-batches',
    '2',
    '--batch-size',
    '8',
    ...extra,
  ];
  // PNEUMO_DEBUG would skip the child process this test is about.
  const env = { ...process.env, PNEUMO_DEBUG: '0' };
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/** Resolves once `ready()` holds, checked on every stdout chunk and every 50 ms; rejects if the run ends first. */
function until(p: ChildProcess, ready: (stdout: string) => boolean): Promise<void> {
  let stdout = '';
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!ready(stdout)) return;
      clearInterval(timer);
      resolve();
    };
    const timer = setInterval(check, 50);
    p.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    p.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`the run ended (exit ${code}) before the moment to kill it:\n${stdout}`));
    });
  });
}

const lockPid = (out: string): number | null => {
  try {
    return (JSON.parse(readFileSync(join(out, '.pneumo.lock'), 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until the process is gone; false if it is still there after `polls` x 100 ms. */
async function gone(pid: number, polls = 100): Promise<boolean> {
  for (let i = 0; i < polls; i++) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function finish(p: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => p.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('pneumo train when the process the user started is killed with SIGKILL', () => {
  const moments: [string, (out: string) => (stdout: string) => boolean][] = [
    ['as soon as it holds the run lock', (out) => () => lockPid(out) !== null],
    ['after the first epoch', () => (stdout) => /epoch 1\/6 .*val loss/.test(stdout)],
    ['once a checkpoint set is on disk', (out) => () => existsSync(join(out, 'last.json'))],
  ];

  it.each(moments)(
    '%s: the training child exits and --resume continues the run',
    async (_, moment) => {
      const out = join(dir, `run-${Math.random().toString(36).slice(2)}`);
      const parent = train(out);
      parent.stderr!.resume();
      await until(parent, moment(out));
      const child = lockPid(out);
      expect(child, 'the run lock names the training process').not.toBeNull();
      expect(child).not.toBe(parent.pid);
      const parentExit = new Promise((r) => parent.once('exit', r));
      parent.kill('SIGKILL');
      await parentExit;
      expect(await gone(child!), `training process ${child} outlived its parent`).toBe(true);

      const resumed = await finish(train(out, ...(existsSync(join(out, 'last.json')) ? ['--resume'] : ['--force'])));
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/epoch 6\/6 .*val loss/);
      expect(lockPid(out)).toBeNull();
    },
    300_000,
  );
});
