import { beforeAll, describe, expect, it } from 'vitest';
import { requireWebGpu } from '@pneumo/test-support';
import { memory } from '../memory.js';
import { tensor } from './creation.js';
import { cat, gather, indexSelect, stack, where } from './select.js';

beforeAll(requireWebGpu);

describe.each(['cpu', 'webgpu'] as const)('cat, stack, where on %s', (device) => {
  it('keep infinities and NaN where they are (no arithmetic on the values left out)', async () => {
    const before = memory().tensors;
    const a = tensor(
      [
        [1, Infinity],
        [NaN, 4],
      ],
      { device },
    );
    const b = tensor([[5, 6]], { device });
    const c = cat([a, b], 0);
    expect(c.shape).toEqual([3, 2]);
    expect(Array.from(await c.data())).toEqual([1, Infinity, NaN, 4, 5, 6]);
    const col = tensor([[7], [8]], { device });
    const c1 = cat([a, col], 1);
    expect(Array.from(await c1.data())).toEqual([1, Infinity, 7, NaN, 4, 8]);
    const s = stack([a, a], 2);
    expect(s.shape).toEqual([2, 2, 2]);
    expect(Array.from(await s.data())).toEqual([1, 1, Infinity, Infinity, NaN, NaN, 4, 4]);
    const mask = tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { device },
    );
    const minus = tensor([-1], { device });
    const zero = tensor([0], { device });
    const w = where(mask, a, minus);
    expect(Array.from(await w.data())).toEqual([1, -1, -1, 4]);
    const w2 = where(mask, zero, a);
    expect(Array.from(await w2.data())).toEqual([0, Infinity, NaN, 0]);
    for (const t of [a, b, c, col, c1, s, mask, minus, zero, w, w2]) t.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('cat joins int32 tensors along dim 0, and gradients split back to the inputs', async () => {
    const ints = cat([tensor(Int32Array.of(1, 2), { device }), tensor(Int32Array.of(3), { device })]);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(await ints.data())).toEqual([1, 2, 3]);
    const x = tensor([[1, 2, 3]], { device, requiresGrad: true });
    const y = tensor(
      [
        [4, 5, 6],
        [7, 8, 9],
      ],
      { device, requiresGrad: true },
    );
    const z = cat([x, y])
      .mul(tensor([[1], [10], [100]], { device }))
      .sum();
    z.backward();
    expect(Array.from(await x.grad!.data())).toEqual([1, 1, 1]);
    expect(Array.from(await y.grad!.data())).toEqual([10, 10, 10, 100, 100, 100]);
    const p = tensor([3, -2], { device, requiresGrad: true });
    where(tensor([1, 0], { device }), p, p.mul(5))
      .sum()
      .backward();
    expect(Array.from(await p.grad!.data())).toEqual([1, 5]);
  });

  it('refuses mismatched shapes and empty lists, naming the op', () => {
    const a = tensor([[1, 2]], { device });
    expect(() => cat([a, tensor([[1, 2, 3]], { device })], 0)).toThrow(/cat: tensor 1 has shape \[1, 3\]/);
    expect(() => cat([])).toThrow(/non-empty list/);
    expect(() => stack([a, tensor([1, 2], { device })])).toThrow(/stack: tensor 1 has shape \[2\]/);
    expect(() => cat([a], 2)).toThrow(/dim/);
    expect(() => where(tensor([1, 0, 1], { device }), a, a)).toThrow(/where/);
  });

  it("gather and indexSelect give PyTorch's values (repeats summed in the gradient) and refuse bad indices", async () => {
    const x = tensor(
      Array.from({ length: 12 }, (_, i) => i),
      { shape: [3, 4], device, requiresGrad: true },
    );
    const idx = tensor(Int32Array.of(0, 3, 2, 2, 1, 0), { shape: [3, 2], device });
    const g = gather(x, 1, idx);
    expect(Array.from(await g.data())).toEqual([0, 3, 6, 6, 9, 8]);
    const rows = tensor(Int32Array.of(2, 0, 2), { device });
    const sel = indexSelect(x, 0, rows);
    expect(sel.shape).toEqual([3, 4]);
    expect(Array.from(await sel.data())).toEqual([8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
    g.sum().add(sel.sum()).backward();
    // gather: row 1 takes column 2 twice; indexSelect: row 2 twice, row 0 once.
    expect(Array.from(await x.grad!.data())).toEqual([2, 1, 1, 2, 0, 0, 2, 0, 3, 3, 2, 2]);
    expect(() => gather(x, 1, tensor(Int32Array.of(0, 4, 1), { shape: [3, 1], device }))).toThrow(
      /gather: index 4 is out of range for a dimension of size 4/,
    );
    expect(() => indexSelect(x, 0, tensor(Int32Array.of(-1), { device }))).toThrow(
      /indexSelect: index -1 is out of range/,
    );
    expect(() => gather(x, 1, tensor(Int32Array.of(0, 1), { shape: [2, 1], device }))).toThrow(
      /must match the input \[3, 4\] except in dimension 1/,
    );
    expect(() => indexSelect(x, 0, tensor([0], { device }))).toThrow(/must be int32/);
    expect(() => indexSelect(x, 0, idx)).toThrow(/must be 1-D/);
  });

  it('gather and indexSelect on int32 tensors (labels) keep every bit, NaN-pattern integers included', async () => {
    // -1 is 0xffffffff and -4194304 is 0xffc00000: NaN bit patterns as float32.
    const labels = tensor(Int32Array.of(7, -1, 2147483647, -2147483648, -4194304, 0), { shape: [6], device });
    const picked = indexSelect(labels, 0, tensor(Int32Array.of(4, 1, 1, 3, 2, 0), { device }));
    expect(picked.dtype).toBe('int32');
    expect(Array.from((await picked.data()) as Int32Array)).toEqual([-4194304, -1, -1, -2147483648, 2147483647, 7]);
    const grid = tensor(Int32Array.of(1, 2, 3, 4, 5, 6), { shape: [2, 3], device });
    const g = gather(grid, 1, tensor(Int32Array.of(2, 2, 0, 1), { shape: [2, 2], device }));
    expect([g.dtype, ...Array.from((await g.data()) as Int32Array)]).toEqual(['int32', 3, 3, 4, 5]);
    expect(() => indexSelect(labels, 0, tensor(Int32Array.of(6), { device }))).toThrow(/index 6 is out of range/);
  });
});
