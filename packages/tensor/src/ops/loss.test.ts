import { beforeAll, describe, expect, it } from 'vitest';
import { maxRelDiff, requireWebGpu } from '@pneumo/test-support';
import { adamStep, crossEntropy, full, sgdStep, tensor, type Tensor } from '../index.js';
import { inputValues } from './op-cases.testing.js';

beforeAll(requireWebGpu);

const labelsFor = (rows: number, cols: number) => Int32Array.from({ length: rows }, (_, i) => (i * 7 + 3) % cols);

async function ceOn(
  device: 'cpu' | 'webgpu',
  rows: number,
  cols: number,
  reduction: 'mean' | 'sum' | 'none',
  weighted: boolean,
  shift = 0,
) {
  const x = tensor(inputValues({ shape: [rows, cols] }, rows * 31 + cols), {
    shape: [rows, cols],
    device,
    requiresGrad: true,
  });
  const logits = shift ? x.mul(30).add(shift) : x;
  const labels = tensor(labelsFor(rows, cols), { device });
  const weight = weighted ? tensor(inputValues({ shape: [cols], domain: 'positive' }, 9), { device }) : null;
  const loss = crossEntropy(logits, labels, { weight, reduction });
  const g = reduction === 'none' ? tensor(inputValues({ shape: [rows] }, 4), { device }) : undefined;
  loss.backward(g);
  const out = { loss: await loss.data(), grad: await x.grad!.data() };
  for (const t of [x, labels, loss, ...(weight ? [weight] : []), ...(g ? [g] : []), ...(logits !== x ? [logits] : [])])
    t.dispose();
  return out;
}

/** Straight from the definition, in float64. */
function ceReference(x: Float32Array, labels: Int32Array, rows: number, cols: number, w: Float32Array | null) {
  let total = 0;
  let norm = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
    const wy = w ? w[labels[r]!]! : 1;
    total += wy * (lse - row[labels[r]!]!);
    norm += wy;
  }
  return total / norm;
}

describe('crossEntropy', () => {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    for (const weighted of [false, true]) {
      it(`webgpu matches cpu: ${reduction}${weighted ? ', class weights' : ''}`, async () => {
        for (const [rows, cols] of [
          [1, 3],
          [7, 10],
          [33, 5],
        ] as const) {
          const a = await ceOn('cpu', rows, cols, reduction, weighted);
          const b = await ceOn('webgpu', rows, cols, reduction, weighted);
          expect(maxRelDiff(b.loss, a.loss)).toBeLessThanOrEqual(2e-5);
          expect(maxRelDiff(b.grad, a.grad)).toBeLessThanOrEqual(2e-5);
        }
      });
    }
  }

  it('matches the definition, weighted mean', async () => {
    const rows = 6;
    const cols = 4;
    const xs = inputValues({ shape: [rows, cols] }, 1);
    const ws = new Float32Array([0.5, 2, 1, 3]);
    const labels = labelsFor(rows, cols);
    const loss = crossEntropy(
      tensor(xs, { shape: [rows, cols], device: 'webgpu' }),
      tensor(labels, { device: 'webgpu' }),
      {
        weight: tensor(ws, { device: 'webgpu' }),
      },
    );
    expect(await loss.item()).toBeCloseTo(ceReference(xs, labels, rows, cols, ws), 5);
  });

  it('refuses labels outside [0, classes) with an error naming the op (it used to return NaN)', () => {
    for (const device of ['cpu', 'webgpu'] as const) {
      const logits = tensor(new Float32Array(6), { shape: [2, 3], device });
      for (const bad of [
        [0, 3],
        [-1, 0],
      ]) {
        const labels = tensor(Int32Array.from(bad), { device });
        expect(() => crossEntropy(logits, labels)).toThrow(
          `crossEntropy: label ${bad.find((v) => v < 0 || v > 2)} is out of range for 3 classes`,
        );
        labels.dispose();
      }
      const ok = tensor(Int32Array.from([2, 0]), { device });
      crossEntropy(logits, ok).dispose();
      ok.dispose();
      logits.dispose();
    }
  });

  it('stays finite for logits around 100 +- 30', async () => {
    const a = await ceOn('webgpu', 8, 10, 'mean', false, 100);
    const b = await ceOn('cpu', 8, 10, 'mean', false, 100);
    expect(Array.from(a.loss).every(Number.isFinite)).toBe(true);
    expect(Array.from(a.grad).every(Number.isFinite)).toBe(true);
    expect(maxRelDiff(a.loss, b.loss)).toBeLessThanOrEqual(2e-5);
    expect(maxRelDiff(a.grad, b.grad)).toBeLessThanOrEqual(2e-5);
  });

  it('rejects bad labels', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => crossEntropy(x, tensor([0]))).toThrow('crossEntropy: labels must be int32 class indices, got float32');
    expect(() => crossEntropy(x, tensor(new Int32Array([0, 1])))).toThrow(
      'labels of shape [2] do not match logits [1, 3]',
    );
  });

  it('an out-of-range label the host never saw (written by a kernel) gives NaN, never a wrong finite loss', async () => {
    const x = tensor([[1, 2, 3]], { device: 'webgpu' });
    expect(Number.isNaN(await crossEntropy(x, full([1], 3, { dtype: 'int32', device: 'webgpu' })).item())).toBe(true);
  });
});

describe('optimizer updates: webgpu matches cpu over several steps', () => {
  // 65 elements run the one-float kernels, 60 the vec4 ones.
  async function trajectory(device: 'cpu' | 'webgpu', kind: string, shape: number[], weightDecay: boolean) {
    const n = shape.reduce((a, b) => a * b, 1);
    const p = tensor(inputValues({ shape }, 1), { shape, device });
    const s1 = tensor(new Float32Array(n), { shape, device });
    const s2 = tensor(new Float32Array(n), { shape, device });
    for (let step = 1; step <= 4; step++) {
      const g: Tensor = tensor(inputValues({ shape }, 10 + step), { shape, device });
      if (kind.startsWith('sgd')) {
        sgdStep(p, g, s1, {
          lr: 0.1,
          momentum: kind === 'sgd' ? 0 : 0.9,
          dampening: kind === 'sgd-dampening' ? 0.3 : 0,
          nesterov: kind === 'sgd-nesterov',
          weightDecay: weightDecay ? 0.01 : 0,
          firstStep: step === 1,
        });
      } else {
        adamStep(p, g, s1, s2, {
          lr: 0.01,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: weightDecay ? 0.05 : 0,
          decoupled: kind === 'adamw',
          step,
        });
      }
      g.dispose();
    }
    const out = await p.data();
    const buffer = await s1.data();
    for (const t of [p, s1, s2]) t.dispose();
    return { out, buffer };
  }
  for (const shape of [
    [13, 5],
    [12, 5],
  ])
    for (const weightDecay of [true, false])
      for (const kind of ['sgd', 'sgd-momentum', 'sgd-dampening', 'sgd-nesterov', 'adam', 'adamw']) {
        it(`${kind}, [${shape}], ${weightDecay ? 'with' : 'without'} weight decay`, async () => {
          const a = await trajectory('cpu', kind, shape, weightDecay);
          const b = await trajectory('webgpu', kind, shape, weightDecay);
          expect(maxRelDiff(b.out, a.out)).toBeLessThanOrEqual(1e-6);
          expect(maxRelDiff(b.buffer, a.buffer)).toBeLessThanOrEqual(1e-6);
          const start = inputValues({ shape }, 1);
          expect(maxRelDiff(a.out, start)).toBeGreaterThan(1e-3);
        });
      }
});
