import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireWebGpu } from '@pneumo/test-support';
import { memory, noGrad, ones, tensor, tidy, zeros } from './index.js';

beforeAll(requireWebGpu);

describe.each(['cpu', 'webgpu'] as const)('autograd on %s', (device) => {
  it('accumulates gradients across backward calls and zeroGrad clears them', async () => {
    const x = tensor([1, 2, 3], { device, requiresGrad: true });
    for (let i = 0; i < 3; i++) {
      const y = tidy(() => x.mul(x).sum());
      y.backward();
      y.dispose();
    }
    expect(Array.from(await x.grad!.data())).toEqual([6, 12, 18]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.dispose();
  });

  it('sums gradients from every path through the graph', async () => {
    const x = tensor([2, -1], { device, requiresGrad: true });
    const y = tidy(() => x.mul(3).add(x.exp()).add(x.mul(x)).sum());
    y.backward();
    const g = Array.from(await x.grad!.data());
    expect(g[0]).toBeCloseTo(3 + Math.exp(2) + 4, 5);
    expect(g[1]).toBeCloseTo(3 + Math.exp(-1) - 2, 5);
    x.dispose();
    y.dispose();
  });

  it('noGrad and detach record nothing', () => {
    const x = tensor([1, 2], { device, requiresGrad: true });
    const a = noGrad(() => x.mul(2));
    const d = x.detach();
    const b = d.mul(2);
    expect(a.requiresGrad).toBe(false);
    expect(a.gradFn).toBeNull();
    expect(b.requiresGrad).toBe(false);
    expect(() => a.backward()).toThrow(/does not require grad/);
    for (const t of [x, a, d, b]) t.dispose();
  });

  it('backward of a non-scalar needs a gradient of the same shape', async () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device, requiresGrad: true },
    );
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(/only for single-element tensors, got shape \[2, 2\]/);
    const bad = ones([3], { device });
    expect(() => y.backward(bad)).toThrow(/gradient shape \[3\] does not match tensor shape \[2, 2\]/);
    const g = tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { device },
    );
    y.backward(g);
    expect(Array.from(await x.grad!.data())).toEqual([2, 0, 0, 2]);
    for (const t of [x, y, bad, g]) t.dispose();
  });

  it('a second backward through freed buffers is an error; retainGraph allows it', async () => {
    const x = tensor([1, 2], { device, requiresGrad: true });
    const y = tidy(() => x.exp().sum());
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(() => y.backward()).toThrow(/a second time/);
    const g = Array.from(await x.grad!.data());
    expect(g[0]).toBeCloseTo(2 * Math.E, 4);
    x.dispose();
    y.dispose();
  });

  it('intermediates disposed by tidy stay available to backward, then are freed', async () => {
    const base = memory();
    const w = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device, requiresGrad: true },
    );
    const x = tensor([[1, 1]], { device });
    const loss = tidy(() => x.matmul(w).relu().sum());
    // Only the graph's saved copies of the intermediates survive tidy: the
    // matmul operands and the relu input.
    expect(memory().tensors).toBe(base.tensors + 3 + 3);
    loss.backward();
    expect(Array.from(await w.grad!.data())).toEqual([1, 1, 1, 1]);
    // backward freed the saved copies: w, x, loss, w.grad remain.
    expect(memory().tensors).toBe(base.tensors + 4);
    loss.dispose();
    w.dispose();
    x.dispose();
    expect(memory()).toMatchObject({ tensors: base.tensors, storages: base.storages, bytes: base.bytes });
  });

  it('disposing an unused graph frees its saved buffers', () => {
    const before = memory();
    const w = zeros([4, 4], { device, requiresGrad: true });
    const y = tidy(() => w.exp().mul(w).sum());
    expect(memory().storages).toBeGreaterThan(before.storages + 2);
    y.dispose();
    w.dispose();
    expect(memory()).toMatchObject({ tensors: before.tensors, storages: before.storages, bytes: before.bytes });
  });
});

describe('tidy', () => {
  it('keeps what is returned (nested in arrays and objects) and frees the rest', () => {
    const before = memory().tensors;
    const out = tidy(() => {
      const a = ones([2]);
      const b = a.add(1);
      const c = b.mul(2);
      return { c, list: [b] };
    });
    expect(memory().tensors).toBe(before + 2);
    expect(out.c.isDisposed).toBe(false);
    out.c.dispose();
    out.list[0]!.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('frees everything when the function throws', () => {
    const before = memory().tensors;
    expect(() =>
      tidy(() => {
        ones([3]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(memory().tensors).toBe(before);
  });

  it('rejects async functions', () => {
    expect(() => tidy(() => Promise.resolve(1))).toThrow(/synchronous/);
  });
});

afterAll(() => {
  expect(memory().tensors).toBe(0);
});
