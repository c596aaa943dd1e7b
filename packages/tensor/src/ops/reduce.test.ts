import { beforeAll, describe, expect, it } from 'vitest';
import { requireWebGpu } from '@pneumo/test-support';
import { tensor } from './creation.js';
import { argmax, argmin } from './reduce.js';

beforeAll(requireWebGpu);

// Values and PyTorch 1.13's answers (torch.argmax / torch.argmin).
const X = [
  [3, 1, 3, 0, -2],
  [NaN, 5, NaN, 9, 9],
  [-1, -1, -4, -4, 2],
];

describe.each(['cpu', 'webgpu'] as const)('argmax / argmin on %s', (device) => {
  it('follow PyTorch: first index on ties, the first NaN wins, any dim, keepdim, flattened', async () => {
    const x = tensor(X.flat(), { shape: [3, 5], device });
    const got = async (t: ReturnType<typeof argmax>) => {
      expect(t.dtype).toBe('int32');
      const v = Array.from(await t.data());
      t.dispose();
      return v;
    };
    expect(await got(argmax(x, 1))).toEqual([0, 0, 4]);
    expect(await got(argmin(x, 1))).toEqual([4, 0, 2]);
    expect(await got(argmax(x, 0))).toEqual([1, 1, 1, 1, 1]);
    expect(await got(argmin(x, -2))).toEqual([1, 2, 1, 2, 0]);
    const kept = argmax(x, 1, true);
    expect(kept.shape).toEqual([3, 1]);
    kept.dispose();
    expect(await got(argmax(x))).toEqual([5]);
    expect(argmax(x).shape).toEqual([]);
    const finite = tensor(
      [
        [2, 7, 7],
        [1, 0, 0],
      ],
      { device },
    );
    expect(await got(finite.argmax())).toEqual([1]);
    expect(await got(finite.argmin())).toEqual([4]);
    // A 3-D tensor along its middle dimension.
    const t3 = tensor(
      Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7)),
      { shape: [2, 3, 4], device },
    );
    const ref = [] as number[];
    for (let a = 0; a < 2; a++)
      for (let c = 0; c < 4; c++) {
        let best = 0;
        for (let b = 1; b < 3; b++)
          if (Math.sin((a * 12 + b * 4 + c) * 1.7) > Math.sin((a * 12 + best * 4 + c) * 1.7)) best = b;
        ref.push(best);
      }
    expect(await got(t3.argmax(1))).toEqual(ref);
    expect(() => argmax(x, 2)).toThrow(/dim/);
    for (const t of [x, finite, t3]) t.dispose();
  });
});

describe('sum / max over leading and trailing axes (a bias gradient: two passes on webgpu)', () => {
  // [n, c, h, w] over (0, 2, 3) has c outputs: the kernels reduce (2, 3) first, then 0.
  for (const [shape, dims] of [
    [
      [5, 3, 7, 9],
      [0, 2, 3],
    ],
    [
      [4, 6, 5],
      [0, 2],
    ],
    [
      [3, 2, 4, 5],
      [0, 1, 3],
    ],
    [
      [6, 4, 3],
      [1, 2],
    ],
  ] as const) {
    it(`[${shape}] over (${dims})`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 10);
      values[17] = NaN;
      const results = [] as number[][][];
      for (const device of ['cpu', 'webgpu'] as const) {
        const x = tensor(values, { shape: [...shape], device });
        const finite = tensor(
          values.map((v) => (Number.isNaN(v) ? 0 : v)),
          { shape: [...shape], device },
        );
        const s = finite.sum([...dims]);
        const m = x.max([...dims]);
        results.push([Array.from(await s.data()), Array.from(await m.data())]);
        for (const t of [x, finite, s, m]) t.dispose();
      }
      const [[cpuSum, cpuMax], [gpuSum, gpuMax]] = results as [number[][], number[][]];
      expect(gpuSum.length).toBe(cpuSum!.length);
      gpuSum!.forEach((v, i) =>
        expect(Math.abs(v - cpuSum![i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(cpuSum![i]!))),
      );
      expect(gpuMax).toEqual(cpuMax);
      expect(cpuMax!.some(Number.isNaN)).toBe(true);
    });
  }
});
