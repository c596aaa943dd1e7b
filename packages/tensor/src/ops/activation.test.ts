import { beforeAll, describe, expect, it } from 'vitest';
import { requireWebGpu } from '@pneumo/test-support';
import { tensor } from './creation.js';
import { gelu } from './activation.js';

beforeAll(requireWebGpu);

// x Φ(x) at these points, from Φ to 16 digits.
const GELU: [number, number][] = [
  [0, 0],
  [0.5, 0.34573123063700656],
  [1, 0.8413447460685429],
  [-1, -0.15865525393145707],
  [2, 1.9544997361036416],
  [-3, -0.0040496940948903],
  [5, 4.999998566737495],
  [-8, -4.9e-15],
];

describe('gelu (exact, erf-based)', () => {
  it.each(['cpu', 'webgpu'] as const)('matches x Φ(x) on %s', async (device) => {
    const y = gelu(
      tensor(
        GELU.map(([x]) => x),
        { device },
      ),
    );
    const got = await y.data();
    GELU.forEach(([, want], i) => expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(2e-7 + 2e-6 * Math.abs(want)));
    const nan = await gelu(tensor([NaN, Infinity, -Infinity], { device })).data();
    expect(Number.isNaN(nan[0])).toBe(true);
    expect(Number.isNaN(nan[0])).toBe(true);
    expect(nan[1]).toBe(Infinity);
    // -inf Φ(-inf) is -inf * 0: NaN, as PyTorch 1.13 gives.
    expect(Number.isNaN(nan[2])).toBe(true);
    y.dispose();
  });
});
