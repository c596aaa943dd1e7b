import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memory } from '@pneumo/nn';
import { requireWebGpu } from '@pneumo/test-support';
import { writeSyntheticDataset } from './data/synthetic.js';
import { evaluate, loadModel, predict } from './evaluate.js';
import { discover } from './data/layout.js';
import { readCheckpointInfo } from './checkpoint.js';
import { lockRunDir } from './run-lock.js';
import { train, type TrainOptions } from './train.js';

let data: string;
beforeAll(async () => {
  await requireWebGpu();
  data = mkdtempSync(join(tmpdir(), 'pneumo-train-'));
  writeSyntheticDataset(data, { perClass: { train: 12, val: 2, test: 4 }, seed: 11, sizeRange: [40, 56] });
});

const quick = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({
  data,
  out,
  epochs: 2,
  batchSize: 8,
  seed: 5,
  cacheDir: null,
  valFraction: 0.2,
  ...extra,
});

describe('training the blog CNN', () => {
  it('runs 2 epochs with a decreasing loss, writes best and last checkpoints, and they load', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pneumo-run-'));
    const lines: string[] = [];
    const before = memory().tensors;
    const r = await train(quick(out), { log: (l) => lines.push(l) });
    expect(r.history).toHaveLength(2);
    expect(r.history[1]!.trainLoss).toBeLessThan(r.history[0]!.trainLoss);
    expect(r.counts.val).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith('epoch 2/2'))).toBe(true);
    expect(memory().tensors).toBe(before);
    const { model, info } = loadModel(r.best.path);
    expect(info.classes).toEqual(['NORMAL', 'BACTERIA', 'VIRUS']);
    expect(model.parameterCount()).toBe(5_851_338);
    model.dispose();
    const ev = await evaluate(r.last, data, 'test', null);
    expect(ev.metrics.n).toBe(12);
    const files = discover(data, 'three-class', ['test'])
      .records.slice(0, 2)
      .map((x) => x.path);
    const preds = await predict(r.last, [...files, join(data, 'missing.jpeg')]);
    for (const p of preds.slice(0, 2)) {
      expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(['NORMAL', 'BACTERIA', 'VIRUS']).toContain(p.class);
    }
    expect(preds[2]!.error).toMatch(/ENOENT|no such file/);
  });

  it('resuming after an interruption gives the same next losses as an uninterrupted run', async () => {
    const straight = await train(quick(mkdtempSync(join(tmpdir(), 'pneumo-a-')), { epochs: 3 }));
    const out = mkdtempSync(join(tmpdir(), 'pneumo-b-'));
    await train(quick(out, { epochs: 3, stopAfterEpoch: 1 }));
    const resumed = await train(quick(out, { epochs: 3, resume: true }));
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    for (const e of [1, 2]) expect(resumed.history[e]!.trainLoss).toBe(straight.history[e]!.trainLoss);
  }, 300_000); // five short trainings: near two minutes on SwiftShader

  it('with weight averaging (--ema): resumes exactly, validation and the best checkpoint use the averages', async () => {
    const straight = await train(quick(mkdtempSync(join(tmpdir(), 'pneumo-ema-a-')), { epochs: 3, ema: 0.9 }));
    const out = mkdtempSync(join(tmpdir(), 'pneumo-ema-b-'));
    await train(quick(out, { epochs: 3, ema: 0.9, stopAfterEpoch: 1 }));
    const resumed = await train(quick(out, { epochs: 3, ema: 0.9, resume: true }));
    for (const e of [1, 2]) {
      expect(resumed.history[e]!.trainLoss).toBe(straight.history[e]!.trainLoss);
      expect(resumed.history[e]!.valLoss).toBe(straight.history[e]!.valLoss);
    }
    // The best checkpoint holds the averages, `last` the trained weights: they differ.
    const { model: best } = loadModel(join(out, 'best'));
    const { model: last } = loadModel(join(out, 'last'));
    const a = await best.parameters()[0]!.data();
    const b = await last.parameters()[0]!.data();
    expect(Array.from(a)).not.toEqual(Array.from(b));
    best.dispose();
    last.dispose();
    const plain = mkdtempSync(join(tmpdir(), 'pneumo-ema-c-'));
    await train(quick(plain, { epochs: 2, maxBatches: 1, stopAfterEpoch: 1 }));
    await expect(train(quick(plain, { epochs: 2, ema: 0.9, resume: true }))).rejects.toThrow(/no weight averages/);
  }, 300_000);

  it('stops with a clear message when the loss is not finite', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pneumo-nan-'));
    await expect(train(quick(out, { lr: 1e12, epochs: 3 }))).rejects.toThrow(
      /training stopped(: the loss became (NaN|Infinity|-Infinity)| in epoch \d+: the weights or the optimizer state became non-finite) .*(last good checkpoint is|no checkpoint was written)/,
    );
  });

  it('refuses an --out that another run holds, or that holds another run unless resumed or forced', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pneumo-two-'));
    const lock = lockRunDir(out);
    await expect(train(quick(out, { epochs: 1, maxBatches: 1 }))).rejects.toThrow(/in use by another training run/);
    lock.release();
    await train(quick(out, { epochs: 1, maxBatches: 1 }));
    await expect(train(quick(out, { epochs: 1, maxBatches: 1, outputs: 3 }))).rejects.toThrow(
      /already holds the checkpoints of a training run .*--resume.*--force/,
    );
    const forced = await train(quick(out, { epochs: 1, maxBatches: 1, outputs: 3, force: true }));
    expect(readCheckpointInfo(forced.last).outputs).toBe(3);
    await expect(train(quick(mkdtempSync(join(tmpdir(), 'pneumo-none-')), { resume: true }))).rejects.toThrow(
      /nothing to resume/,
    );
    expect(existsSync(join(out, '.pneumo.lock'))).toBe(false);
  });

  it('never writes a checkpoint with non-finite weights (SGD at lr 1e6 used to exit 0 with them)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pneumo-diverge-'));
    await expect(train(quick(out, { optimizer: 'sgd', lr: 1e6, epochs: 3, maxBatches: 1 }))).rejects.toThrow(
      /training stopped/,
    );
    for (const name of ['last', 'best']) {
      if (!existsSync(join(out, `${name}.json`))) continue;
      const { model } = loadModel(join(out, name));
      for (const p of model.parameters()) expect((await p.data()).every(Number.isFinite)).toBe(true);
      model.dispose();
    }
  });
});
