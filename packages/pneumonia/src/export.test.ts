/**
 * From a training run to a model to ship: the checkpoint records what it was
 * trained on, its preprocessing and its operating point; `pneumo export`
 * writes float16 weights that predict like the float32 ones; the CLI warns
 * about synthetic training data and writes the evaluation report with the
 * reliability diagram.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireWebGpu } from '@pneumo/test-support';
import { readCheckpointInfo } from './checkpoint.js';
import { discover } from './data/layout.js';
import { writeSyntheticDataset } from './data/synthetic.js';
import { evaluate, predict } from './evaluate.js';
import { exportModel } from './export.js';
import { train } from './train.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let data: string;
let best: string;
let validated: number;
beforeAll(async () => {
  await requireWebGpu();
  data = mkdtempSync(join(tmpdir(), 'pneumo-ship-'));
  writeSyntheticDataset(data, { perClass: { train: 12, val: 4, test: 4 }, seed: 3, sizeRange: [40, 56] });
  const out = mkdtempSync(join(tmpdir(), 'pneumo-ship-run-'));
  const r = await train({
    data,
    out,
    epochs: 1,
    batchSize: 8,
    seed: 2,
    cacheDir: null,
    valFraction: 0.3,
    contrast: 'equalize',
    labelSmoothing: 0.1,
    augment: 'light',
    provenance: { command: 'test' },
  });
  best = r.best.path;
  validated = r.counts.val;
}, 120_000);

describe('a model to ship', () => {
  it('records its data, preprocessing and operating point in the checkpoint', () => {
    const info = readCheckpointInfo(best);
    expect(info.trainedOn).toMatchObject({ kind: 'synthetic' });
    expect(info.trainedOn!.filesSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.trainedOn!.files).toBe(discover(data, 'three-class', ['train', 'val']).records.length);
    expect(info.contrast).toBe('equalize');
    expect(info.operatingPoint!.targetSensitivity).toBe(0.95);
    expect(info.operatingPoint!.threshold).toBeGreaterThanOrEqual(0);
    expect(info.options).toMatchObject({ labelSmoothing: 0.1 });
    expect(info.provenance).toEqual({ command: 'test' });
  });

  it('exports float16 weights at about half the size that predict like the float32 ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pneumo-ship-out-'));
    const e = exportModel(best, join(dir, 'model'));
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
    expect(statSync(e.weights).size).toBeLessThan(0.51 * statSync(best).size);
    const info = readCheckpointInfo(join(dir, 'model'));
    expect(info.optimizer).toBeUndefined();
    expect(info.rng).toBeUndefined();
    expect(info.provenance).toMatchObject({ command: 'test', weightsDtype: 'F16' });
    expect(info.parts!.weights.file).toBe('model.safetensors');
    const files = discover(data, 'three-class', ['test']).records.map((r) => r.path);
    const a = await predict(best, files);
    const b = await predict(join(dir, 'model'), files);
    let worst = 0;
    a.forEach((p, i) => {
      for (const [c, v] of Object.entries(p.probabilities))
        worst = Math.max(worst, Math.abs(v - b[i]!.probabilities[c]!));
      expect(b[i]!.pneumonia).toBeDefined();
    });
    expect(worst).toBeLessThan(2e-3);
  });

  it('the CLI exports, warns about synthetic training data, applies the operating point, and writes the evaluation report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pneumo-ship-cli-'));
    const ex = run(['export', '--weights', best, '--out', join(dir, 'm')]);
    expect(ex.code).toBe(0);
    expect(ex.out).toMatch(/float16/);
    const image = discover(data, 'three-class', ['test']).records[0]!.path;
    const p = run(['predict', '--weights', join(dir, 'm'), image]);
    expect(p.code).toBe(0);
    expect(p.err).toMatch(/trained on synthetic images/);
    expect(p.out).toMatch(
      /pneumonia vs normal at the operating point: (PNEUMONIA|NORMAL) \(score [\d.]+, threshold [\d.]+\)/,
    );
    const ev = run(['evaluate', '--weights', join(dir, 'm'), '--data', data, '--report', join(dir, 'report')]);
    expect(ev.code).toBe(0);
    expect(ev.out).toMatch(/accuracy: [\d.]+% \[[\d.]+-[\d.]+%\]/);
    expect(ev.out).toMatch(/at the operating point/);
    expect(ev.out).toMatch(/expected calibration error/);
    const html = readFileSync(join(dir, 'report', 'report.html'), 'utf8');
    expect(html).toMatch(/reliability \(ECE [\d.]+%\)/);
    expect(html).toMatch(/95% interval/);
  }, 120_000);

  it('balanced sampling and test-time augmentation are recorded, and predictions honour the recorded views', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pneumo-tta-run-'));
    const r = await train({
      data,
      out,
      epochs: 1,
      batchSize: 8,
      seed: 2,
      cacheDir: null,
      valFraction: 0.3,
      sampling: 'balanced',
      tta: true,
    });
    const info = readCheckpointInfo(r.best.path);
    expect(info.tta).toBe(true);
    expect(info.options).toMatchObject({ sampling: 'balanced', classWeights: false, tta: true });
    // The holdout metrics evaluate recomputes with the recorded views are the ones validation saw.
    const ev = await evaluate(r.best.path, data, 'holdout', null);
    const seen = info.metrics.validation as { accuracy: number; pneumoniaAuc: number };
    expect(ev.metrics.accuracy).toBeCloseTo(seen.accuracy, 6);
    expect(ev.metrics.pneumoniaAuc).toBeCloseTo(seen.pneumoniaAuc, 6);
    const single = await evaluate(r.best.path, data, 'holdout', null, { tta: false });
    // One view and seven give different probabilities (they are averaged, not the first view's).
    expect(single.metrics.calibration.ece).not.toBeCloseTo(ev.metrics.calibration.ece, 6);
    const [p] = await predict(r.best.path, [discover(data, 'three-class', ['test']).records[0]!.path]);
    expect(Object.values(p!.probabilities).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
  }, 120_000);

  it('evaluates on the patients the run held out (recomputed from its seed), and refuses other data', async () => {
    const ev = await evaluate(best, data, 'holdout', null);
    expect(ev.metrics.n).toBe(validated);
    expect(ev.metrics.intervals).not.toBeNull();
    const other = mkdtempSync(join(tmpdir(), 'pneumo-other-'));
    writeSyntheticDataset(other, { perClass: { train: 6, val: 2, test: 2 }, seed: 9, sizeRange: [40, 48] });
    await expect(evaluate(best, other, 'holdout', null)).rejects.toThrow(/not the data .* was trained on/);
  });
});
