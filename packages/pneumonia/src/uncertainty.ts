/**
 * How sure a measured metric is, and how honest the probabilities are:
 * Wilson score intervals for proportions, a seeded bootstrap interval for
 * ROC AUC, expected calibration error with the reliability diagram's bins,
 * and the pneumonia-vs-normal operating point chosen on validation.
 */
import { rocAuc } from './roc.js';

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for `successes` of `n` (95% by default); [0, 1] when n is 0. */
export function wilson(successes: number, n: number, z = 1.959964): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** A small seeded generator (mulberry32), so a report's intervals are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Percentile bootstrap interval of the ROC AUC (resampling images with
 * replacement, stratified by class so every resample has both). NaN bounds
 * when a class is absent.
 */
export function bootstrapAuc(
  scores: readonly number[],
  positive: readonly boolean[],
  reps = 1000,
  seed = 1,
  level = 0.95,
): Interval {
  const pos = scores.filter((_, i) => positive[i]);
  const neg = scores.filter((_, i) => !positive[i]);
  if (pos.length === 0 || neg.length === 0) return { low: NaN, high: NaN };
  const rand = mulberry32(seed);
  const draw = (xs: number[]) => Array.from({ length: xs.length }, () => xs[Math.floor(rand() * xs.length)]!);
  const flags = [...pos.map(() => true), ...neg.map(() => false)];
  const aucs: number[] = [];
  for (let r = 0; r < reps; r++) aucs.push(rocAuc([...draw(pos), ...draw(neg)], flags));
  aucs.sort((a, b) => a - b);
  const at = (q: number) => aucs[Math.min(reps - 1, Math.max(0, Math.round(q * (reps - 1))))]!;
  return { low: at((1 - level) / 2), high: at(1 - (1 - level) / 2) };
}

export interface CalibrationBin {
  /** Confidence range [low, high). */
  low: number;
  high: number;
  count: number;
  /** Mean top-class probability of the images in the bin. */
  confidence: number;
  /** Fraction of them whose top class is right. */
  accuracy: number;
}

export interface Calibration {
  /** Expected calibration error: Σ (count / n) |accuracy - confidence| over the bins. */
  ece: number;
  bins: CalibrationBin[];
}

/** Top-label calibration of [n, k] probabilities in `bins` equal-width confidence bins. */
export function calibration(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number, bins = 10): Calibration {
  const n = labels.length;
  const out = Array.from({ length: bins }, (_, b) => ({
    low: b / bins,
    high: (b + 1) / bins,
    count: 0,
    confidence: 0,
    accuracy: 0,
  }));
  for (let i = 0; i < n; i++) {
    const top = argmaxRow(probs, i, k);
    const conf = probs[i * k + top]!;
    const bin = out[Math.min(bins - 1, Math.floor(conf * bins))]!;
    bin.count++;
    bin.confidence += conf;
    if (top === labels[i]) bin.accuracy++;
  }
  let ece = 0;
  for (const b of out) {
    if (b.count === 0) continue;
    b.confidence /= b.count;
    b.accuracy /= b.count;
    ece += (b.count / Math.max(1, n)) * Math.abs(b.accuracy - b.confidence);
  }
  return { ece, bins: out };
}

/** The index of the largest of row i's k values (the first on ties): the one row-argmax of the app. */
export function argmaxRow(values: ArrayLike<number>, i: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[i * k + c]! > values[i * k + best]!) best = c;
  return best;
}

/** Pneumonia score of image i: 1 - p(normal) (class 0 is normal in every task). */
export const pneumoniaScore = (probs: ArrayLike<number>, i: number, k: number) => 1 - probs[i * k]!;

export interface OperatingPoint {
  /** Pneumonia when 1 - p(normal) >= threshold. */
  threshold: number;
  /** The sensitivity the threshold was chosen to reach (on validation, or on `chosenOn`). */
  targetSensitivity: number;
  /** Where it was chosen when not on the training run's validation split (e.g. 'dev: <dir> (315 images)'). */
  chosenOn?: string;
}

/**
 * The operating point with the best specificity among thresholds whose
 * sensitivity is at least `targetSensitivity` on these (validation)
 * images; ties go to the higher threshold. Throws without both classes.
 */
export function chooseOperatingPoint(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  targetSensitivity = 0.95,
): OperatingPoint {
  const n = labels.length;
  const scored = Array.from({ length: n }, (_, i) => ({ s: pneumoniaScore(probs, i, k), sick: labels[i] !== 0 }));
  const sick = scored.filter((x) => x.sick).length;
  const healthy = n - sick;
  if (sick === 0 || healthy === 0) throw new Error('an operating point needs both normal and pneumonia images');
  // Walk thresholds from high to low: each step admits one more image as "pneumonia".
  scored.sort((a, b) => b.s - a.s);
  let tp = 0;
  for (let i = 0; i < n; i++) {
    if (scored[i]!.sick) tp++;
    // Only between distinct scores can a threshold separate images.
    if (i + 1 < n && scored[i + 1]!.s === scored[i]!.s) continue;
    if (tp / sick >= targetSensitivity) {
      // The highest threshold reaching the target has the best specificity.
      return { threshold: scored[i]!.s, targetSensitivity };
    }
  }
  return { threshold: scored[n - 1]!.s, targetSensitivity };
}
