import { describe, expect, it } from 'vitest';
import { computeMetrics } from './metrics.js';
import { bootstrapAuc, calibration, chooseOperatingPoint, wilson } from './uncertainty.js';

/** [n, 2] probabilities (normal, pneumonia) from pneumonia scores. */
const binary = (scores: number[]) => scores.flatMap((s) => [1 - s, s]);

describe('uncertainty', () => {
  it('Wilson intervals match the textbook values', () => {
    const a = wilson(8, 10);
    expect(a.low).toBeCloseTo(0.4902, 3);
    expect(a.high).toBeCloseTo(0.9433, 3);
    const z = wilson(0, 10);
    expect(z.low).toBe(0);
    expect(z.high).toBeCloseTo(0.2775, 3);
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 });
    // Narrower with more data, always containing the estimate.
    const big = wilson(800, 1000);
    expect(big.high - big.low).toBeLessThan(a.high - a.low);
    expect(big.low).toBeLessThan(0.8);
    expect(big.high).toBeGreaterThan(0.8);
  });

  it('bootstraps an AUC interval that contains the AUC, is reproducible, and is NaN without both classes', () => {
    const scores = Array.from({ length: 200 }, (_, i) => ((i * 37) % 101) / 100);
    const positive = scores.map((s, i) => s + ((i * 13) % 7) / 20 > 0.6);
    const a = bootstrapAuc(scores, positive, 300, 5);
    const b = bootstrapAuc(scores, positive, 300, 5);
    expect(a).toEqual(b);
    const m = computeMetrics(
      binary(scores),
      positive.map((p) => (p ? 1 : 0)),
      ['NORMAL', 'PNEUMONIA'],
    );
    expect(a.low).toBeLessThanOrEqual(m.pneumoniaAuc);
    expect(a.high).toBeGreaterThanOrEqual(m.pneumoniaAuc);
    expect(a.high - a.low).toBeGreaterThan(0.01);
    expect(bootstrapAuc([0.1, 0.2], [true, true]).low).toBeNaN();
  });

  it('computes the expected calibration error and the bins of the reliability diagram', () => {
    const c = calibration([0.9, 0.1, 0.6, 0.4, 0.8, 0.2], [0, 1, 0], 2);
    expect(c.ece).toBeCloseTo((0.1 + 0.6 + 0.2) / 3, 10);
    expect(c.bins[9]).toMatchObject({ count: 1, accuracy: 1 });
    expect(c.bins[6]).toMatchObject({ count: 1, accuracy: 0 });
    expect(c.bins[9]!.confidence).toBeCloseTo(0.9, 6);
    expect(c.bins.reduce((a, b) => a + b.count, 0)).toBe(3);
    // Confidence 1 falls in the last bin.
    expect(calibration([1, 0], [0], 2).bins[9]!.count).toBe(1);
  });

  it('chooses the highest threshold that reaches the target sensitivity (best specificity), ties kept together', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.65, 0.3, 0.2, 0.1];
    const labels = [1, 1, 1, 1, 0, 0, 0, 0];
    expect(chooseOperatingPoint(binary(scores), labels, 2, 0.75).threshold).toBeCloseTo(0.7, 10);
    expect(chooseOperatingPoint(binary(scores), labels, 2, 1).threshold).toBeCloseTo(0.6, 10);
    // A healthy and a sick image with the same score cannot be separated.
    const tied = chooseOperatingPoint(binary([0.9, 0.5, 0.5, 0.1]), [1, 1, 0, 0], 2, 1);
    expect(tied.threshold).toBeCloseTo(0.5, 10);
    const m = computeMetrics(binary([0.9, 0.5, 0.5, 0.1]), [1, 1, 0, 0], ['NORMAL', 'PNEUMONIA'], {
      operatingPoint: tied,
      intervals: true,
    });
    expect(m.operatingPoint).toMatchObject({
      tp: 2,
      fn: 0,
      fp: 1,
      tn: 1,
      sensitivity: 1,
      specificity: 0.5,
      accuracy: 0.75,
    });
    expect(m.intervals!.operatingPoint!.specificity.low).toBeLessThan(0.5);
    expect(() => chooseOperatingPoint(binary([0.2, 0.3]), [1, 1], 2)).toThrow(/both normal and pneumonia/);
  });

  it('on random data the threshold meets the target and no higher one does (three classes: the score is 1 - p(normal))', () => {
    let seed = 3;
    const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const n = 300;
    const labels = Array.from({ length: n }, () => Math.floor(rand() * 3));
    const probs = labels.flatMap((l) => {
      const raw = [rand() + (l === 0 ? 0.6 : 0), rand() + (l === 1 ? 0.5 : 0), rand() + (l === 2 ? 0.5 : 0)];
      const sum = raw[0]! + raw[1]! + raw[2]!;
      return raw.map((r) => r / sum);
    });
    const op = chooseOperatingPoint(probs, labels, 3, 0.95);
    const sens = (t: number) => {
      const sick = labels.map((l, i) => [l, 1 - probs[3 * i]!] as const).filter(([l]) => l !== 0);
      return sick.filter(([, s]) => s >= t).length / sick.length;
    };
    expect(sens(op.threshold)).toBeGreaterThanOrEqual(0.95);
    const higher = Array.from({ length: n }, (_, i) => 1 - probs[3 * i]!).filter((s) => s > op.threshold);
    for (const t of higher) expect(sens(t)).toBeLessThan(0.95);
  });
});
