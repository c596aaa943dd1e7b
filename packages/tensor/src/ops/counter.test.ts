import { beforeAll, describe, expect, it } from 'vitest';
import { requireWebGpu } from '@pneumo/test-support';
import { incrementInt32, tensor } from '../index.js';

beforeAll(requireWebGpu);

describe.each(['cpu', 'webgpu'] as const)('incrementInt32 on %s', (device) => {
  it('adds in place, exactly, and wraps at 2^31 as int32 does', async () => {
    const t = tensor(Int32Array.from([0, -5, 2 ** 24, 2 ** 31 - 2, 2 ** 31 - 1]), { device });
    incrementInt32(t);
    expect(Array.from(await t.data())).toEqual([1, -4, 2 ** 24 + 1, 2 ** 31 - 1, -(2 ** 31)]);
    incrementInt32(t, -3);
    expect(Array.from(await t.data())).toEqual([-2, -7, 2 ** 24 - 2, 2 ** 31 - 4, 2 ** 31 - 3]);
    t.dispose();
  });

  it('refuses float tensors and steps that are not int32', () => {
    const f = tensor([1, 2], { device });
    expect(() => incrementInt32(f)).toThrow(/expected an int32 tensor, got float32/);
    const i = tensor(Int32Array.from([1]), { device });
    expect(() => incrementInt32(i, 0.5)).toThrow(/by must be an int32/);
    for (const t of [f, i]) t.dispose();
  });
});
