/**
 * Checkpoint sets on disk: committed as one unit, checked on load, never
 * with non-finite weights; what interrupted saves leave is cleaned; one run
 * per output directory. On the cpu backend: the files are what is tested.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, Linear, Sequential, SGD, tensor } from '@pneumo/nn';
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo } from './checkpoint-format.js';
import {
  cleanCheckpointDir,
  loadCheckpointWeights,
  loadOptimizerTensors,
  NonFiniteWeightsError,
  readCheckpointInfo,
  saveCheckpoint,
} from './checkpoint.js';
import { lockRunDir } from './run-lock.js';
import { testCheckpointInfo } from '@pneumo/test-support';

const info = (epoch: number): CheckpointInfo => testCheckpointInfo({ outputs: 3, epoch });

const net = (seed: number) => new Sequential(new Linear(4, 3, { device: 'cpu', generator: new Generator(seed) }));
const tmp = () => mkdtempSync(join(tmpdir(), 'pneumo-ckpt-'));

async function withOptimizer(model: Sequential) {
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = tensor(new Float32Array(8).fill(1), { shape: [2, 4], device: 'cpu' });
  model.forward(x).sum().backward();
  opt.step();
  return opt;
}

describe('checkpoint sets', () => {
  it('commit a manifest naming every part, keep a plain .safetensors, and drop the previous parts', async () => {
    const dir = tmp();
    const base = join(dir, 'last');
    const a = net(1);
    await saveCheckpoint(base, a, info(1), (await withOptimizer(a)).stateDict());
    const first = readdirSync(dir).sort();
    expect(first.filter((f) => f.endsWith('.weights.safetensors'))).toHaveLength(1);
    expect(first).toContain('last.safetensors');
    const m = readCheckpointInfo(base);
    expect(m.parts?.weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.parts?.optimizer).toBeDefined();
    await saveCheckpoint(base, a, info(2), (await withOptimizer(a)).stateDict());
    const second = readdirSync(dir);
    expect(second.filter((f) => f.includes('.e1.'))).toEqual([]);
    expect(second.filter((f) => f.includes('.e2.'))).toHaveLength(2);
    const b = net(2);
    loadCheckpointWeights(base, b);
    expect(await b.parameters()[0]!.data()).toEqual(await a.parameters()[0]!.data());
    expect(Object.keys(loadOptimizerTensors(base)).length).toBeGreaterThan(0);
  });

  it('refuse parts of another save, a missing optimizer part, and non-finite weights', async () => {
    const dir = tmp();
    const base = join(dir, 'last');
    const a = net(1);
    await saveCheckpoint(base, a, info(1), (await withOptimizer(a)).stateDict());
    const oldPart = readCheckpointInfo(base).parts!.weights.file;
    copyFileSync(join(dir, oldPart), join(dir, 'kept-from-epoch-1'));
    await saveCheckpoint(base, a, info(2), (await withOptimizer(a)).stateDict());
    const parts = readCheckpointInfo(base).parts!;
    // An epoch-1 weights file where the epoch-2 manifest expects its own.
    copyFileSync(join(dir, 'kept-from-epoch-1'), join(dir, parts.weights.file));
    expect(() => loadCheckpointWeights(base, net(3))).toThrow(
      /does not match .*last\.json \(a part of another save, or damaged\)/,
    );
    rmSync(join(dir, parts.optimizer!.file));
    expect(() => loadOptimizerTensors(base)).toThrow(/optimizer state .* cannot be read \(ENOENT\)/);
    // NaN weights: nothing is written.
    const bad = net(4);
    bad.parameters()[0]!.assign(tensor(new Float32Array(12).fill(NaN), { shape: [3, 4], device: 'cpu' }));
    const before = readdirSync(dir).sort();
    await expect(saveCheckpoint(join(dir, 'best'), bad, info(3))).rejects.toBeInstanceOf(NonFiniteWeightsError);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('survive kill -9 at any moment of a save: the set on disk is always one whole save', async () => {
    const dir = tmp();
    const base = join(dir, 'last');
    const dist = fileURLToPath(new URL('../dist/checkpoint.js', import.meta.url));
    // A child that saves epoch after epoch of a model whose every weight equals
    // the epoch, and says so on stdout after each save.
    const script = `
      const { Linear, Sequential, Generator, tensor } = await import('@pneumo/nn');
      const { saveCheckpoint } = await import(${JSON.stringify(dist)});
      const info = ${JSON.stringify(info(0))};
      const model = new Sequential(new Linear(256, 256, { device: 'cpu', generator: new Generator(0) }));
      for (let e = 1; ; e++) {
        for (const p of model.parameters()) p.assign(tensor(new Float32Array(p.size).fill(e), { shape: p.shape, device: 'cpu' }));
        await saveCheckpoint(${JSON.stringify(base)}, model, { ...info, epoch: e });
        process.stdout.write('saved ' + e + '\\n');
      }`;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        cwd,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      // Kill after 1-3 whole saves plus 0-259 ms: some kills land between
      // saves, most inside one. Waiting for the saves, not for a fixed time,
      // keeps the test independent of how fast the machine is.
      const wantSaves = 1 + (round % 3);
      let saved = 0;
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          saved += (chunk.toString().match(/saved/g) ?? []).length;
          if (saved >= wantSaves) resolve();
        });
        child.once('exit', () => reject(new Error(`the saving child exited after ${saved} saves`)));
      });
      await new Promise((r) => setTimeout(r, 37 * round));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      // At least one save finished, so a whole one is on disk.
      expect(existsSync(`${base}.json`)).toBe(true);
      const epoch = readCheckpointInfo(base).epoch;
      expect(epoch).toBeGreaterThanOrEqual(saved);
      const model = new Sequential(new Linear(256, 256, { device: 'cpu', generator: new Generator(1) }));
      loadCheckpointWeights(base, model);
      // Every weight is the manifest's epoch: no part of another save.
      expect(new Set(await model.parameters()[0]!.data())).toEqual(new Set([epoch]));
      cleanCheckpointDir(dir);
      const left = readdirSync(dir).filter((f) => f.endsWith('.tmp') || /\.e\d+\./.test(f));
      expect(left).toHaveLength(1);
    }
  }, 60_000);
});

describe('checkpoint descriptions', () => {
  it('are refused when incomplete or invalid (a zero std would make every input infinite)', async () => {
    const dir = tmp();
    const base = join(dir, 'best');
    await saveCheckpoint(base, net(1), info(1));
    const good = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as CheckpointInfo;
    writeFileSync(`${base}.json`, JSON.stringify({ ...good, normalization: { mean: 0.4, std: 0 } }));
    expect(() => readCheckpointInfo(base)).toThrow(/incomplete or invalid/);
    writeFileSync(`${base}.json`, '{"format": "pneumo-checkpoint", ');
    expect(() => readCheckpointInfo(base)).toThrow(/best\.json: /);
  });
});

describe('the run lock', () => {
  it('refuses a second run, takes over from a dead one, and fails early on an unusable directory', () => {
    const dir = tmp();
    const lock = lockRunDir(dir);
    expect(() => lockRunDir(dir)).toThrow(new RegExp(`in use by another training run \\(process ${process.pid} `));
    lock.release();
    expect(existsSync(join(dir, '.pneumo.lock'))).toBe(false);
    // A lock left by a process that no longer exists.
    writeFileSync(join(dir, '.pneumo.lock'), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), started: 'then' }));
    lockRunDir(dir).release();
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => lockRunDir(join(file, 'out'))).toThrow(/cannot create the output directory/);
  });
});
