/**
 * BatchNorm2d beyond the op table: the inference path (the apply kernel on
 * the running statistics) against the differentiable composition, the fused
 * ReLU against a separate one, and num_batches_tracked counting on from
 * loaded weights. On both devices.
 */
import { maxAbsDiff, requireWebGpu } from '@pneumo/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNorm2d, Generator, noGrad, randn, tensor, tidy } from '../index.js';

const devices = ['cpu', 'webgpu'] as const;
const input = (device: 'cpu' | 'webgpu', seed: number) =>
  randn([3, 5, 4, 7], { device, generator: new Generator(seed) })
    .mul(2)
    .add(0.5);

/** A layer whose running statistics and affine parameters are not the defaults. */
async function trainedLayer(device: 'cpu' | 'webgpu'): Promise<BatchNorm2d> {
  const bn = new BatchNorm2d(5, { device, momentum: 0.3 });
  for (const [name, t] of bn.stateDict()) {
    if (name === 'num_batches_tracked') continue;
    const values = Float32Array.from({ length: 5 }, (_, i) =>
      name === 'running_var' ? 0.5 + i / 3 : Math.sin(i + name.length),
    );
    t.assign(tensor(values, { shape: [5], device }));
  }
  return bn;
}

describe('BatchNorm2d', () => {
  beforeAll(requireWebGpu);

  for (const device of devices) {
    it(`in eval, infers with the apply kernel exactly as the differentiable composition (${device})`, async () => {
      const bn = (await trainedLayer(device)).eval();
      const x = input(device, 1);
      const fast = noGrad(() => bn.forward(x));
      const xg = x.clone();
      xg.requiresGrad = true;
      const composed = bn.forward(xg);
      expect(maxAbsDiff(await fast.data(), await composed.data())).toBeLessThan(2e-6);
      // The output really is normalized by the running statistics.
      const [mean, variance, weight, bias] = await Promise.all(
        ['running_mean', 'running_var', 'weight', 'bias'].map((k) => bn.stateDict().get(k)!.data()),
      );
      const xs = await x.data();
      const i = 1 * 5 * 28 + 3 * 28 + 11;
      expect((await fast.data())[i]).toBeCloseTo(
        ((xs[i]! - mean![3]!) / Math.sqrt(variance![3]! + 1e-5)) * weight![3]! + bias![3]!,
        5,
      );
    });

    it(`fuses the ReLU with the same values and gradients as bn then relu (${device})`, async () => {
      const run = async (fused: boolean) => {
        const bn = await trainedLayer(device);
        bn.fusedRelu = fused;
        const x = input(device, 2);
        x.requiresGrad = true;
        const y = tidy(() => (fused ? bn.forward(x) : bn.forward(x).relu()));
        tidy(() => y.mul(randn(y.shape, { device, generator: new Generator(3) })).sum()).backward();
        const out = {
          y: await y.data(),
          dx: await x.grad!.data(),
          dw: await bn.parameters()[0]!.grad!.data(),
          mean: await bn.stateDict().get('running_mean')!.data(),
        };
        return out;
      };
      const [a, b] = [await run(true), await run(false)];
      expect(a.y.some((v) => v === 0)).toBe(true);
      for (const k of ['y', 'dx', 'dw', 'mean'] as const) expect(maxAbsDiff(a[k], b[k])).toBeLessThan(2e-5);
    });

    it(`counts num_batches_tracked on from a loaded state dict (${device})`, async () => {
      const bn = new BatchNorm2d(5, { device });
      const count = async (m: BatchNorm2d) => (await m.stateDict().get('num_batches_tracked')!.data())[0];
      noGrad(() => bn.forward(input(device, 4)));
      noGrad(() => bn.forward(input(device, 5)));
      expect(await count(bn)).toBe(2);
      const loaded = new BatchNorm2d(5, { device });
      loaded.loadStateDict(bn.stateDict());
      noGrad(() => loaded.forward(input(device, 6)));
      expect(await count(loaded)).toBe(3);
      loaded.eval();
      noGrad(() => loaded.forward(input(device, 7)));
      expect(await count(loaded)).toBe(3);
    });
  }

  it('refuses what PyTorch refuses: one value per channel in training, a wrong channel count', () => {
    const bn = new BatchNorm2d(5, { device: 'cpu' });
    expect(() => bn.forward(randn([1, 5, 1, 1], { device: 'cpu' }))).toThrow(/more than 1 value per channel/);
    expect(() => bn.forward(randn([2, 4, 3, 3], { device: 'cpu' }))).toThrow(/expected input \[N, 5, H, W\]/);
  });
});
