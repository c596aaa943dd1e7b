import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelDiff, requireWebGpu } from '@pneumo/test-support';
import { memory, tensor, tidy, type Tensor } from '../index.js';
import { inputValues, OP_CASES } from './op-cases.testing.js';

// Every op, forward and backward, on webgpu against the cpu reference.
// Tolerance: relative to max(1, |reference|); float32 accumulation order
// differs between the backends, nothing else should.
const TOL = 2e-5;
const worst = new Map<string, { fwd: number; bwd: number }>();

beforeAll(requireWebGpu);

afterAll(() => {
  const rows = [...worst.entries()].map(
    ([op, e]) => `  ${op.padEnd(12)} forward ${e.fwd.toExponential(2)}  backward ${e.bwd.toExponential(2)}`,
  );
  console.log(`max relative error webgpu vs cpu, per op:\n${rows.join('\n')}`);
});

async function run(device: 'cpu' | 'webgpu', c: (typeof OP_CASES)[number], seed: number) {
  const inputs = c.inputs.map((spec, i) =>
    tensor(inputValues(spec, seed + 97 * i), { shape: spec.shape, device, requiresGrad: !spec.noGrad }),
  );
  const out = tidy(() => c.fn(...inputs));
  const upstream = tensor(inputValues({ shape: [...out.shape] }, seed + 7), { shape: out.shape, device });
  out.backward(upstream);
  const result = {
    out: await out.data(),
    shape: out.shape,
    grads: await Promise.all(inputs.map((t) => (t.grad ? t.grad.data() : Promise.resolve(null)))),
  };
  for (const t of [...inputs, out, upstream]) t.dispose();
  return result;
}

describe('webgpu matches the cpu reference', () => {
  for (const [i, c] of OP_CASES.entries()) {
    it(c.name, async () => {
      const before = memory();
      const ref = await run('cpu', c, 1000 + i);
      const gpu = await run('webgpu', c, 1000 + i);
      expect(gpu.shape).toEqual(ref.shape);
      const fwd = maxRelDiff(gpu.out, ref.out);
      expect(fwd).toBeLessThanOrEqual(TOL);
      let bwd = 0;
      ref.grads.forEach((g, k) => {
        if (!g) return;
        const e = maxRelDiff(gpu.grads[k]!, g);
        expect(e, `gradient of input ${k}`).toBeLessThanOrEqual(TOL);
        bwd = Math.max(bwd, e);
      });
      const w = worst.get(c.op) ?? { fwd: 0, bwd: 0 };
      worst.set(c.op, { fwd: Math.max(w.fwd, fwd), bwd: Math.max(w.bwd, bwd) });
      // Nothing of the case survives it.
      const after = memory();
      expect(after.tensors).toBe(before.tensors);
      expect(after.storages).toBe(before.storages);
    });
  }
});

describe('edge values', () => {
  it('relu gradient is 0 at 0 and at -0, on both backends', async () => {
    for (const device of ['cpu', 'webgpu'] as const) {
      const x = tensor([-0, 0, -1, 2, 1e-30], { device, requiresGrad: true });
      const y = x.relu();
      y.backward(tensor([1, 1, 1, 1, 1], { device }));
      expect(Array.from(await x.grad!.data())).toEqual([0, 0, 0, 1, 1]);
      expect(Array.from(await y.data())).toEqual([0, 0, 0, 2, 1e-30].map(Math.fround));
      x.dispose();
      y.dispose();
    }
  });

  it('softmax of logits around 100 stays finite and sums to 1', async () => {
    const x = tensor([[130, 70, 100, 129.5]], { device: 'webgpu' });
    const y = x.softmax();
    const v = Array.from(await y.data());
    expect(v.every(Number.isFinite)).toBe(true);
    expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const l = Array.from(await x.logSoftmax().data());
    expect(l[1]).toBeCloseTo(70 - 130 - Math.log(1 + Math.exp(-0.5) + Math.exp(-30) + Math.exp(-60)), 4);
    x.dispose();
    y.dispose();
  });

  it('clamp passes the gradient exactly where min <= x <= max, and keeps NaN', async () => {
    for (const device of ['cpu', 'webgpu'] as const) {
      const x = tensor([-2, -1, -0.3, 0.1, 1, 3, NaN], { device, requiresGrad: true });
      const y = x.clamp(-1, 1);
      expect(Array.from(await y.data())).toEqual([-1, -1, Math.fround(-0.3), Math.fround(0.1), 1, 1, NaN]);
      y.sum().backward();
      expect(Array.from(await x.grad!.data()).slice(0, 6)).toEqual([0, 1, 1, 1, 1, 0]);
      expect(() => x.clamp(2, 1)).toThrow('clamp: min 2 is greater than max 1');
    }
  });

  it('logSoftmax keeps its precision for inputs around 500 (within 1e-6 of the cpu backend)', async () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => 500 + Math.sin(i * 1.7) * 3);
    const want = await tensor(values, { shape: [4, 16], device: 'cpu' })
      .logSoftmax()
      .data();
    const got = await tensor(values, { shape: [4, 16], device: 'webgpu' })
      .logSoftmax()
      .data();
    expect(maxRelDiff(got, want)).toBeLessThan(1e-6);
  });

  it('max propagates NaN and splits the gradient between ties', async () => {
    for (const device of ['cpu', 'webgpu'] as const) {
      const x = tensor(
        [
          [1, 3, 3],
          [NaN, 0, 1],
        ],
        { device, requiresGrad: true },
      );
      const m = x.max(1);
      const v = await m.data();
      expect(v[0]).toBe(3);
      expect(Number.isNaN(v[1]!)).toBe(true);
      const t = tensor([[2, 5, 5]], { device, requiresGrad: true });
      const s = t.max();
      s.backward();
      expect(Array.from(await t.grad!.data())).toEqual([0, 0.5, 0.5]);
      for (const z of [x, m, t, s]) z.dispose();
    }
  });

  it('maximum and minimum propagate NaN', async () => {
    for (const device of ['cpu', 'webgpu'] as const) {
      const a = tensor([NaN, 1, 2], { device });
      const b = tensor([0, NaN, 3], { device });
      const hi = Array.from(await a.maximum(b).data());
      const lo = Array.from(await a.minimum(b).data());
      expect(hi.map(Number.isNaN)).toEqual([true, true, false]);
      expect(lo.map(Number.isNaN)).toEqual([true, true, false]);
      expect([hi[2], lo[2]]).toEqual([3, 2]);
    }
  });

  it('pow follows PyTorch for negative bases', async () => {
    for (const device of ['cpu', 'webgpu'] as const) {
      const x = tensor([-2, -0.5, 3], { device });
      expect(Array.from(await x.pow(3).data())).toEqual([-8, -0.125, 27]);
      expect(Array.from(await x.pow(2).data())).toEqual([4, 0.25, 9]);
      const half = Array.from(await x.pow(0.5).data());
      expect(Number.isNaN(half[0]!)).toBe(true);
      x.dispose();
    }
  });

  it('large elementwise launch beyond 65535 workgroups in one dimension', async () => {
    const n = 65535 * 64 + 1000;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = (i % 1000) - 500;
    const x = tensor(values, { device: 'webgpu' });
    const y = x.relu();
    const out = await y.data();
    let bad = 0;
    for (let i = 0; i < n; i++) if (out[i] !== Math.max(0, values[i]!)) bad++;
    expect(bad).toBe(0);
    x.dispose();
    y.dispose();
  });
});

export type { Tensor };
