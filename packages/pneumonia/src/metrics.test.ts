import { describe, expect, it } from 'vitest';
import { computeMetrics, formatMetrics, rocAuc } from './metrics.js';

describe('metrics', () => {
  it('match hand-computed values', () => {
    // true:  0 0 1 1 2 2 ; predicted: 0 1 1 1 2 0
    const onehot = (c: number) => [0, 1, 2].map((k) => (k === c ? 0.8 : 0.1));
    const probs = [0, 1, 1, 1, 2, 0].flatMap(onehot);
    const m = computeMetrics(probs, [0, 0, 1, 1, 2, 2], ['NORMAL', 'BACTERIA', 'VIRUS']);
    expect(m.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(m.accuracy).toBeCloseTo(4 / 6);
    expect(m.perClass[1]).toMatchObject({ precision: 2 / 3, recall: 1, support: 2 });
    expect(m.perClass[1]!.f1).toBeCloseTo(0.8);
    expect(m.perClass[2]).toMatchObject({ precision: 1, recall: 0.5 });
    expect(m.macroF1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3);
    // Pneumonia = classes 1 and 2: 3 of 4 sick found, 1 of 2 healthy cleared.
    expect(m.sensitivity).toBeCloseTo(3 / 4);
    expect(m.specificity).toBeCloseTo(1 / 2);
    expect(formatMetrics(m)).toContain('macro-F1');
  });

  it('ROC AUC by ranks, with ties counted half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(0.75);
    expect(rocAuc([0.5, 0.5], [false, true])).toBeCloseTo(0.5);
    expect(rocAuc([1, 2], [true, true])).toBeNaN();
  });

  it('refuse NaN or infinite probabilities and bad labels instead of looping or guessing', () => {
    expect(() => rocAuc([0.2, NaN, 0.4], [true, false, true])).toThrow('rocAuc: score 1 is NaN');
    expect(() => computeMetrics([NaN, NaN, NaN, NaN], [0, 1], ['NORMAL', 'PNEUMONIA'])).toThrow(
      /4 of 4 predicted probabilities are not finite/,
    );
    expect(() => computeMetrics([0.5, 0.5, Infinity, 0], [0, 1], ['NORMAL', 'PNEUMONIA'])).toThrow(/1 of 4/);
    expect(() => computeMetrics([0.5, 0.5], [3], ['NORMAL', 'PNEUMONIA'])).toThrow(/label 3 of image 0/);
  });
});
