/**
 * A path named on the command line is just bytes: `pneumo predict`,
 * `explain` and `evaluate --data` open a file or dataset whose name is not
 * valid UTF-8 (Latin-1 "é"), through the quiet parent and child and without
 * it (PNEUMO_DEBUG=1). Node cannot pass such bytes to spawn, so the CLI
 * starts from a shell that builds the argument with printf.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from './data/synthetic.js';
import { lostBytes, osPath } from './raw-args.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir: string;
const latin1 = (path: string) => Buffer.concat([Buffer.from(path), Buffer.from([0xe9])]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pneumo-raw-args-'));
  const data = join(dir, 'data');
  writeSyntheticDataset(data, { perClass: { train: 2, val: 1, test: 2 }, seed: 4, sizeRange: [40, 44] });
  const normal = join(data, 'test', 'NORMAL');
  const image = join(normal, readdirSync(normal)[0]!);
  // <dir>/xé.jpeg and the dataset again under <dir>/dé, both named in Latin-1.
  copyFileSync(image, Buffer.concat([latin1(join(dir, 'x')), Buffer.from('.jpeg')]));
  mkdirSync(latin1(join(dir, 'd')));
  const cp = spawnSync('/bin/sh', ['-c', `cp -r "${data}/." "$(printf '%b' '${dir}/d\\0351')"`], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(cp.stderr);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `pneumo <args>`, where "\351" in an argument stands for the byte 0xE9. */
function pneumo(args: string[], env: Record<string, string> = {}) {
  const quoted = args.map((a) => `"$(printf '%b' '${a}')"`).join(' ');
  return spawnSync('/bin/sh', ['-c', `exec "${process.execPath}" "${cli}" ${quoted}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

describe('command-line paths that are not UTF-8', () => {
  it('osPath leaves a UTF-8 argument alone', () => {
    expect(lostBytes('x.jpeg')).toBe(false);
    expect(osPath('x.jpeg', [Buffer.from('x.jpeg')])).toBe('x.jpeg');
    expect(lostBytes('x\uFFFD.jpeg')).toBe(true);
  });

  it.each<[string, Record<string, string>]>([
    ['through the quiet child', {}],
    ['in one process (PNEUMO_DEBUG=1)', { PNEUMO_DEBUG: '1' }],
  ])('predict and explain open the file the user named, %s', (_, env) => {
    const image = `${dir}/x\\0351.jpeg`;
    const p = pneumo(['predict', image], env);
    expect(p.status, p.stderr + p.stdout).toBe(0);
    expect(p.stdout).toMatch(/x\uFFFD\.jpeg: (NORMAL|BACTERIA|VIRUS) {2}\(NORMAL/);
    const cam = join(dir, `cam-${env.PNEUMO_DEBUG ?? 0}.png`);
    const e = pneumo(['explain', image, '--out', cam], env);
    expect(e.status, e.stderr + e.stdout).toBe(0);
    expect(existsSync(cam)).toBe(true);
  });

  it('evaluate --data reads a dataset whose directory name is not UTF-8', () => {
    const train = pneumo([
      'train',
      '--data',
      `${dir}/data`,
      '--out',
      join(dir, 'run'),
      '--epochs',
      '1',
      '--max-batches',
      '1',
    ]);
    expect(train.status, train.stderr).toBe(0);
    const ev = pneumo(['evaluate', '--weights', join(dir, 'run', 'best'), '--data', `${dir}/d\\0351`]);
    expect(ev.status, ev.stderr + ev.stdout).toBe(0);
    expect(ev.stdout).toMatch(/accuracy/i);
  });
});
