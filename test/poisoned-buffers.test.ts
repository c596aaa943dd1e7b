/**
 * Buffer lifetimes across ops: training steps of a small ResNet and of a
 * conv/pool/linear stack on a WebGPU context that fills every buffer it hands
 * out, and every buffer given back, with NaN (`poison`), against the cpu
 * backend. Fresh WebGPU buffers read as zeros and reused ones as stale
 * values, so an op that reads past a tensor's end, expects a zeroed output, or
 * frees a buffer a later dispatch still reads gives plausible numbers in a
 * normal run; here it gives NaN or a mismatch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '@pneumo/kernels';
import { createDevice } from '@pneumo/kernels/node';
import {
  Conv2d,
  crossEntropy,
  Flatten,
  Generator,
  gpuContext,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  resnet,
  Sequential,
  SGD,
  tensor,
  tidy,
  useGpuContext,
} from '@pneumo/nn/node';
import { maxRelDiff, requireWebGpu } from './support/webgpu.js';

let normal: GpuContext;
let poisoned: GpuContext;
beforeAll(async () => {
  await requireWebGpu();
  normal = gpuContext()!;
  poisoned = await createDevice({ poison: true, log: false, tune: false });
  useGpuContext(poisoned);
});
afterAll(() => {
  useGpuContext(normal);
  poisoned?.destroy();
});

/** Inputs without repeated patches (see benchmarks/train.ts: ties make ReLU masks flip on rounding). */
function batch(n: number, c: number, size: number, device: 'cpu' | 'webgpu') {
  const xs = new Float32Array(n * c * size * size);
  for (let i = 0; i < xs.length; i++) xs[i] = Math.sin(i * 0.37 + Math.sin(i * 1.618) * 3) * 0.8;
  const ys = Int32Array.from({ length: n }, (_, i) => i % 3);
  return { x: tensor(xs, { shape: [n, c, size, size], device }), y: tensor(ys, { shape: [n], device }) };
}

type Make = (o: { device: 'cpu' | 'webgpu'; generator: Generator }) => Module;

/** Two SGD-momentum steps; the loss of each and every parameter after them. */
async function train(make: Make, device: 'cpu' | 'webgpu', size: number) {
  const model = make({ device, generator: new Generator(11) });
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const { x, y } = batch(3, 3, size, device);
  const losses: number[] = [];
  for (let step = 0; step < 2; step++) {
    const loss = tidy(() => crossEntropy(model.forward(x), y));
    loss.backward();
    opt.step();
    opt.zeroGrad();
    losses.push(await loss.item());
    loss.dispose();
  }
  const params = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) params.set(name, (await p.data()) as Float32Array);
  for (const t of [x, y]) t.dispose();
  model.dispose();
  return { losses, params };
}

async function expectSameTraining(make: Make, size: number) {
  const want = await train(make, 'cpu', size);
  const got = await train(make, 'webgpu', size);
  expect(gpuContext()).toBe(poisoned);
  for (let i = 0; i < want.losses.length; i++)
    expect(Math.abs(got.losses[i]! - want.losses[i]!) / Math.abs(want.losses[i]!)).toBeLessThan(1e-5);
  for (const [name, w] of want.params) {
    const g = got.params.get(name)!;
    expect(g.some(Number.isNaN), `${name} has NaN`).toBe(false);
    expect(maxRelDiff(g, w), name).toBeLessThan(1e-4);
  }
}

describe('training on a context that poisons every buffer it hands out or takes back', () => {
  it('a small ResNet (batch norm, strided and 1x1 convolutions, residual adds, average pool)', async () => {
    await expectSameTraining((o) => resnet({ widths: [4, 8], blocks: [1, 1], classes: 3, inputSize: 12 }, o), 12);
  });

  it('convolutions, max-pooling and linear layers', async () => {
    await expectSameTraining(
      (o) =>
        new Sequential(
          new Conv2d(3, 6, 3, { padding: 1, ...o }),
          new ReLU(),
          new MaxPool2d(2),
          new Conv2d(6, 8, 3, { padding: 1, ...o }),
          new ReLU(),
          new Flatten(),
          new Linear(8 * 5 * 5, 3, o),
        ),
      10,
    );
  });
});
