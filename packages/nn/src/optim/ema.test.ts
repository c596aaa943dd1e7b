import { beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor } from '@pneumo/tensor';
import { requireWebGpu } from '@pneumo/test-support';
import { EMA } from './ema.js';

beforeAll(requireWebGpu);

describe('EMA (exponential moving average of parameters)', () => {
  it.each(['cpu', 'webgpu'] as const)(
    'averages, swaps in and out, restores from a state dict, and leaks nothing (%s)',
    async (device) => {
      const before = memory().tensors;
      const p = tensor([1, 2, 3], { device, requiresGrad: true });
      const q = tensor([[4, 5]], { device, requiresGrad: true });
      const ema = new EMA([p, q], 0.75);
      // A parameter update as an optimizer does it: in place.
      const moved = tensor([5, 6, 7], { device });
      p.assign(moved);
      moved.dispose();
      ema.update();
      ema.swapIn();
      expect(Array.from(await p.data())).toEqual([2, 3, 4]); // 0.75 * [1,2,3] + 0.25 * [5,6,7]
      expect(Array.from(await q.data())).toEqual([4, 5]);
      expect(() => ema.update()).toThrow(/swapped in/);
      expect(() => ema.swapIn()).toThrow(/already swapped in/);
      ema.swapOut();
      expect(Array.from(await p.data())).toEqual([5, 6, 7]);
      expect(() => ema.swapOut()).toThrow(/not swapped in/);
      const other = new EMA([p, q], 0.5);
      other.loadStateDict(ema.stateDict());
      other.swapIn();
      expect(Array.from(await p.data())).toEqual([2, 3, 4]);
      other.swapOut();
      expect(() => other.loadStateDict({ decay: 0.5, updates: 0, averages: [p] })).toThrow(
        /1 averages for 2 parameters/,
      );
      expect(() => new EMA([p], 1)).toThrow(/decay must be in \[0, 1\)/);
      ema.dispose();
      other.dispose();
      p.dispose();
      q.dispose();
      expect(memory().tensors).toBe(before);
    },
  );
});
