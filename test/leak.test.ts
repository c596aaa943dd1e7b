import { beforeAll, describe, expect, it } from 'vitest';
import { manualSeed, memory, noGrad, randn, tensor, tidy, type Tensor } from '@pneumo/tensor';
import { requireWebGpu } from './support/webgpu.js';

beforeAll(requireWebGpu);

describe('memory stays flat over a long training loop', () => {
  it('500 steps of forward + backward + update on webgpu', async () => {
    manualSeed(3);
    const device = 'webgpu';
    const w1 = randn([10, 16], { device, std: 0.3, requiresGrad: true });
    const b1 = randn([16], { device, std: 0.1, requiresGrad: true });
    const w2 = randn([16, 3], { device, std: 0.3, requiresGrad: true });
    const params = [w1, b1, w2];
    const x = randn([32, 10], { device });
    // One-hot targets from a fixed rule, so the loss can actually go down.
    const xv = await x.data();
    const onehot = new Float32Array(32 * 3);
    for (let i = 0; i < 32; i++) onehot[i * 3 + (xv[i * 10]! > 0 ? 0 : xv[i * 10 + 1]! > 0 ? 1 : 2)] = 1;
    const y = tensor(onehot, { shape: [32, 3], device });

    const step = (): Tensor =>
      tidy(() => {
        const logits = x.matmul(w1).add(b1).relu().matmul(w2);
        const loss = logits.logSoftmax().mul(y).sum(1).mean().neg();
        loss.backward();
        noGrad(() => {
          for (const p of params) {
            p.assign(p.sub(p.grad!.mul(0.1)));
            p.zeroGrad();
          }
        });
        return loss.detach();
      });

    const losses: number[] = [];
    let at10 = memory();
    for (let i = 0; i < 500; i++) {
      const loss = step();
      if (i % 50 === 0 || i === 499) losses.push(await loss.item());
      loss.dispose();
      if (i === 10) at10 = memory();
    }
    const at500 = memory();
    expect(at500.tensors).toBe(at10.tensors);
    expect(at500.storages).toBe(at10.storages);
    expect(at500.bytes).toBe(at10.bytes);
    expect(at500.gpu!.liveBuffers).toBe(at10.gpu!.liveBuffers);
    expect(at500.gpu!.liveBytes).toBe(at10.gpu!.liveBytes);
    // The pool served every step after warm-up: no new GPU buffers.
    expect(at500.gpu!.created).toBe(at10.gpu!.created);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.5);
    for (const t of [...params, x, y]) t.dispose();
    expect(memory().tensors).toBe(0);
  });
});
