/**
 * The ResNet in the app: `train --arch resnet` writes checkpoints that
 * record the architecture and its configuration, and every command takes
 * them (load, evaluate, predict, explain on the last stage, float16 export).
 * Resuming with another network and options that do not fit an architecture
 * are refused. The blog CNN's own tests cover its checkpoints loading as before.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { memory, ResNet } from '@pneumo/nn';
import { requireWebGpu } from '@pneumo/test-support';
import { readCheckpointInfo } from './checkpoint.js';
import { discover } from './data/layout.js';
import { writeSyntheticDataset } from './data/synthetic.js';
import { evaluate, loadModel, predict } from './evaluate.js';
import { explainToFile } from './explain.js';
import { exportModel } from './export.js';
import { modelSpec } from './model.js';
import { train, type TrainOptions } from './train.js';

let data: string;
beforeAll(async () => {
  await requireWebGpu();
  data = mkdtempSync(join(tmpdir(), 'pneumo-resnet-'));
  writeSyntheticDataset(data, { perClass: { train: 12, val: 2, test: 4 }, seed: 12, sizeRange: [40, 56] });
});

const options = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({
  data,
  out,
  architecture: 'resnet',
  inputSize: 24,
  widths: [8, 16],
  blocks: [1, 1],
  epochs: 3,
  batchSize: 8,
  seed: 3,
  cacheDir: null,
  valFraction: 0.2,
  ...extra,
});

describe('the ResNet in the app', () => {
  it('trains (the loss falls), and its checkpoints load, evaluate, predict, explain and export', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pneumo-resnet-run-'));
    const before = memory().tensors;
    const r = await train(options(out));
    expect(r.history.at(-1)!.trainLoss).toBeLessThan(r.history[0]!.trainLoss);
    expect(memory().tensors).toBe(before);

    const info = readCheckpointInfo(r.best.path);
    expect(info.architecture).toBe('resnet');
    expect(info.inputSize).toBe(24);
    expect(info.resnet).toEqual({
      inChannels: 3,
      inputSize: 24,
      classes: 3,
      widths: [8, 16],
      blocks: [1, 1],
      stem: 'small',
    });
    expect(info.outputs).toBe(3);
    const { model } = loadModel(r.best.path);
    expect(model).toBeInstanceOf(ResNet);
    expect(model.training).toBe(false);
    model.dispose();

    const ev = await evaluate(r.best.path, data, 'test', null);
    expect(ev.metrics.n).toBe(12);
    const files = discover(data, 'three-class', ['test'])
      .records.slice(0, 2)
      .map((x) => x.path);
    const preds = await predict(r.best.path, files);
    for (const p of preds) expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    // Grad-CAM on the last stage: 24 -> 12 after the stride-2 stage.
    const heat = join(out, 'heat.png');
    const e = await explainToFile(r.best.path, files[0]!, heat);
    expect(e.camSize).toBe(12);
    expect(e.cam.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(e.cam.some((v) => v === 1)).toBe(true);
    expect(PNG.sync.read(readFileSync(heat)).width).toBeGreaterThan(0);

    // float16 export: the same predictions within float16's rounding.
    const exported = exportModel(r.best.path, join(out, 'shipped'));
    expect(readCheckpointInfo(exported.manifest).resnet).toEqual(info.resnet);
    const again = await evaluate(exported.weights, data, 'test', null);
    expect(again.metrics.n).toBe(12);
    expect(Math.abs(again.metrics.accuracy - ev.metrics.accuracy)).toBeLessThanOrEqual(1 / 12 + 1e-9);
  }, 300_000);

  it('refuses to resume a run with another network', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pneumo-resnet-resume-'));
    await train(options(out, { epochs: 2, stopAfterEpoch: 1, maxBatches: 2 }));
    await expect(train(options(out, { epochs: 2, resume: true, widths: [8, 32] }))).rejects.toThrow(
      /cannot resume: .* is a resnet at 24x24 .*"widths":\[8,16\].* these options build a resnet at 24x24 .*"widths":\[8,32\]/,
    );
    await expect(
      train(
        options(out, {
          epochs: 2,
          resume: true,
          architecture: 'blog-cnn',
          inputSize: undefined,
          widths: undefined,
          blocks: undefined,
        }),
      ),
    ).rejects.toThrow(/cannot resume: .* is a resnet .* these options build a blog-cnn at 32x32/);
  }, 300_000);

  it('refuses options that do not fit the architecture', () => {
    expect(() => modelSpec({ inputSize: 64 }, 3)).toThrow(/the blog CNN takes 32x32 input/);
    expect(() => modelSpec({ widths: [8] }, 3)).toThrow(/widths and blocks are ResNet options/);
    expect(() => modelSpec({ architecture: 'resnet', inputSize: 8 }, 3)).toThrow(
      /input size must be an integer from 16 to 256/,
    );
    expect(() => modelSpec({ architecture: 'resnet', outputs: 10 }, 3)).toThrow(/one output per class \(3\), not 10/);
    expect(() => modelSpec({ architecture: 'resnet', widths: [8, 16], blocks: [1] }, 3)).toThrow(
      /blocks must give a count for each of the 2 stages/,
    );
    expect(() => modelSpec({ architecture: 'vgg' as 'resnet' }, 3)).toThrow(/unknown architecture 'vgg'/);
    expect(modelSpec({ architecture: 'resnet', widths: [8, 16, 32] }, 2).resnet).toMatchObject({
      inputSize: 64,
      blocks: [2, 2, 2],
      classes: 2,
    });
  });
});
