/**
 * The benchmarks' command lines: `--help` lists the options and exits at
 * once, and an unknown option is refused instead of running a ten-minute
 * benchmark with defaults. Runs the built benchmarks (npm ci builds them).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bench = (name: string, ...args: string[]) =>
  spawnSync(process.execPath, [fileURLToPath(new URL(`../benchmarks/dist/${name}.js`, import.meta.url)), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('benchmark options', () => {
  it.each([
    ['train', /usage: bench:train .*\n[\s\S]*--rounds N [\s\S]*--no-torch/],
    ['kernels', /usage: bench [\s\S]*--only TEXT/],
    ['compile', /usage: bench:compile [\s\S]*--all/],
  ])('%s --help', (name, usage) => {
    const r = bench(name, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(usage);
    expect(r.stdout).toMatch(/--adapter llvmpipe\|swiftshader\|native/);
  });

  it('refuses an unknown option or a stray argument with exit code 2', () => {
    const typo = bench('train', '--stepz', '3');
    expect([typo.status, typo.stderr.trim()]).toEqual([
      2,
      "bench:train: unknown option '--stepz' (--help lists the options)",
    ]);
    const stray = bench('kernels', 'conv');
    expect([stray.status, stray.stderr.trim()]).toEqual([
      2,
      "bench: unexpected argument 'conv' (--help lists the options)",
    ]);
  });
});
