import { describe, expect, it } from 'vitest';
import { Generator } from '@pneumo/nn';
import { applyPriorShift, fitPriorShift } from './prior-shift.js';
import { rocAuc } from './roc.js';

/** n images whose class is drawn from `probs` moved by `shift` (the population the shift describes). */
function population(n: number, k: number, shift: number[], seed: number) {
  const g = new Generator(seed);
  const probs = new Float32Array(n * k);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    // A model's probabilities: a random softmax of moderate confidence.
    const z = Array.from({ length: k }, () => 2 * g.normal());
    const e = z.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, c) => (probs[i * k + c] = v / s));
    const truth = applyPriorShift(probs.subarray(i * k, (i + 1) * k), k, shift);
    let u = g.uniform();
    let c = 0;
    while (c < k - 1 && u >= truth[c]!) u -= truth[c++]!;
    labels.push(c);
  }
  return { probs, labels };
}

describe('class-prior shift', () => {
  it('moves each row by its factors and renormalizes; zero offsets change nothing', () => {
    const p = Float32Array.of(0.5, 0.3, 0.2, 0.1, 0.1, 0.8);
    expect(Array.from(applyPriorShift(p, 3, [0, 0, 0]))).toEqual(Array.from(p));
    expect(applyPriorShift(p, 3, undefined)).not.toBe(p); // always a new array
    const q = applyPriorShift(p, 3, [Math.log(2), 0, 0]);
    expect(q[0]).toBeCloseTo(1 / 1.5, 6);
    expect(q[1]).toBeCloseTo(0.3 / 1.5, 6);
    expect(q[3]).toBeCloseTo(0.2 / 1.1, 6);
    expect(q[3]! + q[4]! + q[5]!).toBeCloseTo(1, 6);
    expect(() => applyPriorShift(p, 3, [1, 0])).toThrow(/2 offsets for 3 classes/);
  });

  it('recovers the shift of a population by maximum likelihood (to sampling noise) and keeps the ranking', () => {
    const shift = [1.5, 0, -0.7];
    const { probs, labels } = population(4000, 3, shift, 3);
    const fitted = fitPriorShift(probs, labels, 3);
    expect(fitted[1]).toBe(0); // the anchor
    expect(fitted[0]).toBeCloseTo(1.5, 0);
    expect(fitted[2]).toBeCloseTo(-0.7, 0);
    expect(Math.abs(fitted[0]! - 1.5)).toBeLessThan(0.2);
    expect(Math.abs(fitted[2]! + 0.7)).toBeLessThan(0.2);
    // A better fit than no shift, and the pneumonia-vs-normal ranking is the same.
    const nll = (b: number[]) => {
      const q = applyPriorShift(probs, 3, b);
      return -labels.reduce((s, l, i) => s + Math.log(q[i * 3 + l]!), 0);
    };
    expect(nll(fitted)).toBeLessThan(nll([0, 0, 0]));
    // Normal against both pneumonia classes alike: the pneumonia-vs-normal ranking stays exactly as it was.
    const score = (q: Float32Array) => labels.map((_, i) => 1 - q[i * 3]!);
    const sick = labels.map((l) => l !== 0);
    expect(rocAuc(score(applyPriorShift(probs, 3, [fitted[0]!, 0, 0])), sick)).toBeCloseTo(
      rocAuc(score(probs), sick),
      6,
    );
  });

  it('finds no shift where there is none, leaves absent classes alone, and checks its input', () => {
    const { probs, labels } = population(4000, 3, [0, 0, 0], 4);
    for (const b of fitPriorShift(probs, labels, 3)) expect(Math.abs(b)).toBeLessThan(0.15);
    const only01 = population(500, 3, [0, 0, 0], 5);
    const labels01 = only01.labels.map((l) => (l === 2 ? 1 : l));
    expect(fitPriorShift(only01.probs, labels01, 3)[2]).toBe(0);
    expect(fitPriorShift(new Float32Array(0), [], 3)).toEqual([0, 0, 0]);
    expect(() => fitPriorShift(new Float32Array(5), [0, 1], 3)).toThrow(/5 probabilities for 2 images and 3 classes/);
  });
});
