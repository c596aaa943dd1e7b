import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireWebGpu } from '@pneumo/test-support';
import { argmax, crossEntropy, Generator, manualSeed, memory, noGrad, tensor, type Tensor, tidy } from '@pneumo/tensor';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../layers/index.js';
import { Adam } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import { CosineAnnealingLR } from '../optim/scheduler.js';
import { type Batch, DataLoader, type Dataset } from './data-loader.js';
import { earlyStopping, fit, NonFiniteLossError } from './fit.js';
import { metricsLog } from './metrics-log.js';
import { TensorDataset } from './tensor-dataset.js';

beforeAll(requireWebGpu);

/** 8x8 images of a horizontal (class 0) or vertical (class 1) bar at a random place, with noise. */
function bars(n: number, seed: number): Dataset<Batch> & { labels: Int32Array } {
  const g = new Generator(seed);
  const labels = Int32Array.from({ length: n }, () => g.int(2));
  const images = labels.map(() => g.int(8));
  return {
    length: n,
    labels,
    batch(indices, rng) {
      const x = new Float32Array(indices.length * 64);
      indices.forEach((i, b) => {
        for (let p = 0; p < 64; p++) {
          const [r, c] = [Math.floor(p / 8), p % 8];
          const on = labels[i] === 0 ? r === images[i] : c === images[i];
          x[b * 64 + p] = (on ? 1 : 0) + 0.1 * rng.normal();
        }
      });
      return {
        input: tensor(x, { shape: [indices.length, 1, 8, 8] }),
        target: tensor(Int32Array.from(indices, (i) => labels[i]!)),
      };
    },
  };
}

const ids = (n: number): Dataset<number[]> => ({ length: n, batch: (indices) => [...indices] });

describe('DataLoader', () => {
  it('batches every item once per epoch, shuffled reproducibly, dropping or keeping the short batch', () => {
    const a = new DataLoader(ids(10), { batchSize: 4, generator: new Generator(3) });
    expect(a.length).toBe(3);
    const e1 = [...a];
    expect(e1.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(e1.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...a].flat()).not.toEqual(e1.flat()); // a new order each epoch
    expect([...new DataLoader(ids(10), { batchSize: 4, generator: new Generator(3) })]).toEqual(e1);
    const dropping = new DataLoader(ids(10), { batchSize: 4, dropLast: true, shuffle: false });
    expect([...dropping]).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect([...new DataLoader(ids(3), { batchSize: 4, dropLast: true, shuffle: false })]).toEqual([[0, 1, 2]]);
    expect([...new DataLoader(ids(0), { batchSize: 4 })]).toEqual([]);
    expect(() => new DataLoader(ids(3), { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });

  it('draws items in proportion to sampling weights, with replacement, reproducibly', () => {
    // Items 0-7 are one class (weight 1/8 each), 8-9 another (1/2 each): the classes come equally often.
    const weights = [...new Array(8).fill(1 / 8), 0.5, 0.5];
    const loader = new DataLoader(ids(10), { batchSize: 5, weights, generator: new Generator(7) });
    let rare = 0;
    let total = 0;
    for (let e = 0; e < 400; e++) {
      for (const b of loader) {
        expect(b).toHaveLength(5);
        rare += b.filter((i) => i >= 8).length;
        total += b.length;
      }
    }
    // 4,000 draws at p = 0.5: the standard deviation of the fraction is 0.008.
    expect(rare / total).toBeGreaterThan(0.47);
    expect(rare / total).toBeLessThan(0.53);
    const again = new DataLoader(ids(10), { batchSize: 5, weights, generator: new Generator(7) });
    const first = new DataLoader(ids(10), { batchSize: 5, weights, generator: new Generator(7) });
    expect([...again]).toEqual([...first]);
    // A zero weight is never drawn.
    const none = new DataLoader(ids(4), { batchSize: 4, weights: [1, 0, 1, 1], generator: new Generator(1) });
    for (let e = 0; e < 50; e++) for (const b of none) expect(b).not.toContain(1);
    expect(() => new DataLoader(ids(3), { batchSize: 2, weights: [1, 1] })).toThrow(
      /2 sampling weights for a dataset of 3/,
    );
    expect(() => new DataLoader(ids(2), { batchSize: 2, weights: [1, -1] })).toThrow(/weight 1 is -1/);
    expect(() => new DataLoader(ids(2), { batchSize: 2, weights: [0, 0] })).toThrow(/all zero/);
  });
});

describe('fit', () => {
  it.each(['webgpu', 'cpu'] as const)(
    'trains a small CNN with callbacks, early stopping and a JSONL log, leaking nothing (%s)',
    async (device) => {
      const { setDefaultDevice, getDefaultDevice } = await import('@pneumo/tensor');
      const previous = getDefaultDevice();
      setDefaultDevice(device);
      try {
        manualSeed(1);
        const before = memory().tensors;
        const model = new Sequential(
          new Conv2d(1, 4, 3, { padding: 1 }),
          new ReLU(),
          new MaxPool2d(2),
          new Flatten(),
          new Linear(64, 2),
        );
        const optimizer = new Adam(model.parameters(), { lr: 0.01 });
        const train = bars(96, 5);
        const val = bars(32, 6);
        const data = new DataLoader(train, { batchSize: 16, generator: new Generator(7) });
        const log = join(mkdtempSync(join(tmpdir(), 'pneumo-fit-')), 'metrics.jsonl');
        const stop = earlyStopping({ monitor: 'valAccuracy', patience: 2 });
        let batchEnds = 0;
        const history = await fit({
          model,
          optimizer,
          data,
          epochs: 30,
          scheduler: new CosineAnnealingLR(optimizer, 30),
          loss: (out: Tensor, b: Batch) => crossEntropy(out, b.target),
          correct: async (out: Tensor, b: Batch) => {
            const pred = argmax(out, 1);
            const [p, t] = [await pred.data(), await b.target.data()];
            pred.dispose();
            return p.filter((v, i) => v === t[i]).length;
          },
          callbacks: [
            { onBatchEnd: () => void batchEnds++ },
            {
              async onEpochEnd(s) {
                model.eval();
                const b = val.batch([...Array(32).keys()], new Generator(0));
                const out = noGrad(() => model.forward(b.input));
                const pred = argmax(out, 1);
                const [p, t] = [await pred.data(), await b.target.data()];
                s.metrics.valAccuracy = p.filter((v, i) => v === t[i]).length / 32;
                for (const x of [out, pred, b.input, b.target]) x.dispose();
              },
            },
            stop,
            metricsLog(log),
          ],
        });
        expect(history.length).toBeLessThan(30); // stopped early: validation stopped improving
        expect(stop.best.value).toBeGreaterThanOrEqual(0.9);
        expect(history.length).toBe(stop.best.epoch + 2);
        expect(history.at(-1)!.trainLoss).toBeLessThan(history[0]!.trainLoss / 2);
        expect(batchEnds).toBe(history.length * 6);
        const lines = readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, number>);
        expect(lines).toHaveLength(history.length);
        expect(lines[0]).toMatchObject({
          epoch: 1,
          valAccuracy: expect.any(Number),
          trainLoss: history[0]!.trainLoss,
          trainAccuracy: history[0]!.trainAccuracy,
        });
        model.dispose();
        optimizer.dispose();
        expect(memory().tensors).toBe(before);
      } finally {
        setDefaultDevice(previous);
      }
    },
  );

  it('stops on a non-finite loss, naming the epoch and batch', async () => {
    const before = memory().tensors;
    const model = new Sequential(new Flatten(), new Linear(64, 2));
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const data = new DataLoader(bars(32, 1), { batchSize: 8 });
    // A loss that overflows in the second epoch's third batch.
    let calls = 0;
    const loss = (o: Tensor, b: Batch) => tidy(() => crossEntropy(o, b.target).mul(++calls === 7 ? Infinity : 1));
    const run = fit({ model, optimizer, data, epochs: 5, loss });
    await expect(run).rejects.toThrow(NonFiniteLossError);
    await expect(run).rejects.toThrow(/the loss became Infinity at epoch 2, batch 3/);
    model.dispose();
    optimizer.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('metricsLog', () => {
  it('leaves out a number that was not measured instead of writing null', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'pneumo-log-')), 'sub', 'metrics.jsonl');
    const cb = metricsLog(log);
    const epoch = {
      epoch: 1,
      epochs: 2,
      trainLoss: 0.5,
      trainAccuracy: Number.NaN,
      lr: 0.1,
      seconds: 1,
      imagesPerSecond: 10,
      metrics: { valLoss: 0.7 },
    };
    void cb.onEpochEnd!(epoch);
    void cb.onEpochEnd!({ ...epoch, epoch: 2, trainAccuracy: 0.75 });
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({
      epoch: 1,
      epochs: 2,
      trainLoss: 0.5,
      lr: 0.1,
      seconds: 1,
      imagesPerSecond: 10,
      valLoss: 0.7,
    });
    expect(lines[1]!.trainAccuracy).toBe(0.75);
  });
});

describe.each(['cpu', 'webgpu'] as const)('TensorDataset on %s', (device) => {
  it('batches the rows of every tensor in the order asked (int32 labels too) and refuses mismatched tensors', async () => {
    const x = tensor(
      Array.from({ length: 12 }, (_, i) => i),
      { shape: [4, 3], device },
    );
    const y = tensor(Int32Array.of(10, 11, 12, 13), { shape: [4], device });
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(4);
    const b = ds.batch([3, 0, 3]);
    expect(b).toHaveLength(2);
    expect(b.input).toBe(b[0]);
    expect(b.target).toBe(b[1]);
    expect(Array.from(await b.input.data())).toEqual([9, 10, 11, 0, 1, 2, 9, 10, 11]);
    expect([b.target.dtype, ...Array.from((await b.target.data()) as Int32Array)]).toEqual(['int32', 13, 10, 13]);
    for (const t of [...b, x, y]) t.dispose();
    expect(() => new TensorDataset(tensor([1, 2, 3], { device }), tensor(Int32Array.of(1, 2), { device }))).toThrow(
      /tensor 1 has 2 items .* tensor 0 has 3/,
    );
    expect(() => new TensorDataset()).toThrow(/at least one tensor/);
    expect(() => ds.batch([4])).toThrow(/item 4 is out of range for 4 items/);
  });

  it('feeds fit through a DataLoader: a classifier of two Gaussian blobs learns them', async () => {
    manualSeed(4);
    const g = new Generator(9);
    const n = 64;
    const xs = new Float32Array(n * 2);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      ys[i] = i % 2;
      xs[2 * i] = (ys[i] ? 1.5 : -1.5) + g.normal() * 0.5;
      xs[2 * i + 1] = g.normal() * 0.5;
    }
    const x = tensor(xs, { shape: [n, 2], device });
    const y = tensor(ys, { shape: [n], device });
    const before = memory().tensors;
    const model = new Sequential(
      new Linear(2, 8, { device, generator: new Generator(1) }),
      new ReLU(),
      new Linear(8, 2, { device, generator: new Generator(2) }),
    );
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const history = await fit({
      model,
      optimizer,
      data: new DataLoader(new TensorDataset(x, y), { batchSize: 16, generator: new Generator(3) }),
      epochs: 8,
      loss: (out: Tensor, b: Batch) => crossEntropy(out, b.target),
    });
    expect(history.at(-1)!.trainLoss).toBeLessThan(0.25 * history[0]!.trainLoss);
    model.dispose();
    optimizer.dispose();
    // Every batch the dataset gathered was disposed by fit.
    expect(memory().tensors).toBe(before);
    x.dispose();
    y.dispose();
  });
});
