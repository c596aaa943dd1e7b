/**
 * Choosing on other patients: training with a dev set (--select-on), the
 * class-prior shift and operating point it records, seed ensembles (int8
 * weights), and the stress report, on a small synthetic dataset whose test
 * split plays the dev set.
 */
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memory } from '@pneumo/nn';
import { requireWebGpu } from '@pneumo/test-support';
import { readCheckpointInfo } from './checkpoint.js';
import { writeSyntheticDataset } from './data/synthetic.js';
import { discover } from './data/layout.js';
import { loadImages } from './data/load.js';
import { Ensemble } from './ensemble.js';
import { buildEnsemble } from './ensemble-build.js';
import { evaluate, loadModel } from './evaluate.js';
import { predictProbs } from './infer.js';
import { applyPriorShift } from './prior-shift.js';
import { STRESS_METRICS } from './stress.js';
import { train, type TrainOptions } from './train.js';

let data: string;
beforeAll(async () => {
  await requireWebGpu();
  data = mkdtempSync(join(tmpdir(), 'pneumo-select-'));
  writeSyntheticDataset(data, { perClass: { train: 12, val: 2, test: 5 }, seed: 13, sizeRange: [40, 56] });
});

const run = (extra: Partial<TrainOptions> = {}): TrainOptions => ({
  data,
  out: mkdtempSync(join(tmpdir(), 'pneumo-sel-run-')),
  epochs: 2,
  batchSize: 8,
  seed: 5,
  cacheDir: null,
  valFraction: 0.2,
  selectOn: data,
  ...extra,
});

describe('selection on a dev set of other patients', () => {
  it('chooses the epoch by dev macro-F1 and records the prior shift and operating point it chose; evaluate reads the dev set back the same', async () => {
    const r = await train(run());
    expect(r.counts.dev).toBe(15);
    for (const h of r.history) expect(h.dev).toBeDefined();
    const bestDev = Math.max(...r.history.map((h) => h.dev!.macroF1));
    expect(r.best.score).toBe(bestDev);
    expect(r.history[r.best.epoch - 1]!.dev!.macroF1).toBe(bestDev);
    const info = readCheckpointInfo(r.best.path);
    expect(info.selection).toMatchObject({ on: 'dev', files: 15 });
    expect(info.priorShift!.logOffsets).toHaveLength(3);
    expect(info.priorShift!.logOffsets[1]).toBe(0);
    expect(info.priorShift!.chosenOn).toMatch(/^dev: .* \(15 images\)$/);
    expect(info.operatingPoint!.chosenOn).toBe(info.priorShift!.chosenOn);
    const recorded = info.metrics.dev as {
      accuracy: number;
      macroF1: number;
      operatingPoint: { sensitivity: number; specificity: number };
    };
    const ev = await evaluate(r.best.path, data, 'test', null, { dev: data });
    expect(ev.metrics.accuracy).toBeCloseTo(recorded.accuracy, 10);
    expect(ev.metrics.macroF1).toBeCloseTo(recorded.macroF1, 10);
    expect(ev.metrics.operatingPoint!.sensitivity).toBeCloseTo(recorded.operatingPoint.sensitivity, 10);
    expect(ev.metrics.operatingPoint!.sensitivity).toBeGreaterThanOrEqual(0.95);
    expect(ev.dev!.accuracy).toBe(ev.metrics.accuracy);
  }, 300_000);

  it('refuses a dev set that shares files with the training data', async () => {
    const sneaky = mkdtempSync(join(tmpdir(), 'pneumo-sneaky-'));
    symlinkSync(join(data, 'train'), join(sneaky, 'test'));
    await expect(train(run({ selectOn: sneaky }))).rejects.toThrow(/shares \d+ file\(s\) with the training data/);
    const empty = mkdtempSync(join(tmpdir(), 'pneumo-empty-'));
    mkdirSync(join(empty, 'test', 'NORMAL'), { recursive: true });
    await expect(train(run({ selectOn: empty }))).rejects.toThrow(/no images found under/);
  });

  it('a seed ensemble averages its members, ships int8 weights within 1e-2, and loads, evaluates and stress-tests like one model', async () => {
    const before = memory().tensors;
    const a = await train(run({ seed: 5, splitSeed: 5, epochs: 1 }));
    const b = await train(run({ seed: 6, splitSeed: 5, epochs: 1 }));
    // A member of another validation split (its input statistics differ) is refused before anything loads.
    const otherDir = mkdtempSync(join(tmpdir(), 'pneumo-other-'));
    const aInfo = readCheckpointInfo(a.best.path);
    writeFileSync(
      join(otherDir, 'best.json'),
      JSON.stringify({ ...aInfo, normalization: { ...aInfo.normalization, mean: aInfo.normalization.mean + 0.01 } }),
    );
    const out = join(mkdtempSync(join(tmpdir(), 'pneumo-ens-')), 'model');
    await expect(
      buildEnsemble({ members: [a.best.path, join(otherDir, 'best')], data, selectOn: data, out }),
    ).rejects.toThrow(/another validation split.*--split-seed/);
    const e = await buildEnsemble({ members: [a.best.path, b.best.path], data, selectOn: data, out, dtype: 'I8' });
    expect(e.info.members).toBe(2);
    expect(e.info.provenance!.weightsDtype).toBe('I8');
    expect(e.info.provenance!.maxDevProbabilityChangeVsFloat32 as number).toBeLessThanOrEqual(0.01);
    expect(e.bytes).toBeLessThan(2 * 5_851_338 * 1.01); // one byte a weight, two members

    // Its probabilities: the mean of the members' (float32), shifted as recorded, within int8's 1e-2.
    const { model, info } = loadModel(e.weights);
    expect(model).toBeInstanceOf(Ensemble);
    const dev = loadImages(discover(data, 'three-class', ['test']).records, {
      size: 32,
      fit: info.fit,
      contrast: info.contrast,
      cacheDir: null,
    });
    const idx = dev.records.map((_, i) => i);
    const ens = applyPriorShift(
      await predictProbs(model, dev.pixels, 32, idx, info.normalization, 3),
      3,
      info.priorShift!.logOffsets,
    );
    const mean = new Float32Array(ens.length);
    for (const m of [a, b]) {
      const one = loadModel(m.best.path);
      const p = await predictProbs(one.model, dev.pixels, 32, idx, info.normalization, 3);
      p.forEach((v, i) => (mean[i]! += v / 2));
      one.model.dispose();
    }
    const want = applyPriorShift(mean, 3, info.priorShift!.logOffsets);
    for (let i = 0; i < want.length; i++) expect(Math.abs(ens[i]! - want[i]!)).toBeLessThan(1e-2);
    model.dispose();

    const ev = await evaluate(e.weights, data, 'test', null, { stress: { seed: 3 } });
    expect(ev.metrics.accuracy).toBeCloseTo(e.dev.accuracy, 10);
    const s = ev.stress!;
    expect(s.n).toBe(15);
    expect(s.rows).toHaveLength(16);
    expect(s.clean.accuracy).toBeCloseTo(ev.metrics.accuracy, 10);
    for (const m of STRESS_METRICS) {
      const lowest = Math.min(...s.rows.map((row) => row[m]).filter((v) => !Number.isNaN(v)));
      if (Number.isFinite(lowest)) expect(s.worst[m].value).toBe(lowest);
      expect(s.rows.map((row) => row.name)).toContain(s.worst[m].name);
    }
    const holdout = await evaluate(e.weights, data, 'holdout', null);
    expect(holdout.metrics.n).toBe(e.validation.n);
    expect(memory().tensors).toBe(before);
  }, 400_000);
});
