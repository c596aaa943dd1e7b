import { describe, expect, it } from 'vitest';
import { Generator } from '@pneumo/nn';
import { DEFAULT_AUGMENT, fillBatch, IDENTITY_WARP, TTA_VIEWS } from './batches.js';
import { pixelStats } from './load.js';

describe('network inputs', () => {
  const size = 4;
  const pixels = Float32Array.from({ length: 2 * size * size }, (_, i) => (i % 16) / 16);

  it('normalizes with the given statistics and replicates grey to 3 channels', () => {
    const out = new Float32Array(2 * 3 * size * size);
    fillBatch(out, pixels, size, [1, 0], { mean: 0.5, std: 0.25 }, null, new Generator(1));
    for (let i = 0; i < size * size; i++) {
      const want = (pixels[16 + i]! - 0.5) / 0.25;
      expect(out[i]).toBeCloseTo(want, 6);
      expect(out[16 + i]).toBeCloseTo(want, 6);
      expect(out[32 + i]).toBeCloseTo(want, 6);
    }
  });

  it('pixel statistics are the mean and standard deviation', () => {
    const s = pixelStats(new Float32Array([0, 1, 0, 1]));
    expect(s.mean).toBeCloseTo(0.5);
    expect(s.std).toBeCloseTo(0.5);
  });

  it('augmentation changes images, is seeded, and leaves a flat image nearly flat', () => {
    const a = new Float32Array(3 * size * size);
    const b = new Float32Array(3 * size * size);
    fillBatch(a, pixels, size, [0], { mean: 0, std: 1 }, DEFAULT_AUGMENT, new Generator(7));
    fillBatch(b, pixels, size, [0], { mean: 0, std: 1 }, DEFAULT_AUGMENT, new Generator(7));
    expect(Array.from(a)).toEqual(Array.from(b));
    const plain = new Float32Array(3 * size * size);
    fillBatch(plain, pixels, size, [0], { mean: 0, std: 1 }, null, new Generator(7));
    expect(Array.from(a)).not.toEqual(Array.from(plain));
  });

  it('the fixed views of test-time augmentation: the identity is the image, a shift moves it, a zoom keeps the centre', () => {
    const n = 9;
    const ramp = Float32Array.from({ length: n * n }, (_, i) => (i % n) / n + Math.floor(i / n) / (n * n));
    const get = (view: typeof IDENTITY_WARP | null) => {
      const out = new Float32Array(3 * n * n);
      fillBatch(out, ramp, n, [0], { mean: 0, std: 1 }, null, new Generator(1), view);
      return out;
    };
    const plain = get(null);
    const same = get(IDENTITY_WARP);
    for (let i = 0; i < plain.length; i++) expect(same[i]).toBeCloseTo(plain[i]!, 6);
    // Shifted right by one pixel: output (x, y) reads source (x - 1, y); column 0 reads outside (black).
    const shifted = get({ ...IDENTITY_WARP, tx: 1 });
    for (let y = 0; y < n; y++) {
      expect(shifted[y * n]).toBe(0);
      for (let x = 1; x < n; x++) expect(shifted[y * n + x]).toBeCloseTo(ramp[y * n + x - 1]!, 6);
    }
    const centre = (n * n - 1) / 2;
    expect(get(TTA_VIEWS[5]!)[centre]).toBeCloseTo(ramp[centre]!, 6);
    expect(TTA_VIEWS).toHaveLength(7);
    expect(TTA_VIEWS[0]).toEqual(IDENTITY_WARP);
  });
});
