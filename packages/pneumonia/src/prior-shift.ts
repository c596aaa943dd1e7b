/**
 * Class-prior correction: when the classes of the patients a model meets
 * are mixed differently from its training data (the official test split
 * has 37.5% normal X-rays, the training folder 25.8%), Bayes' rule moves
 * the probabilities by one factor per class, p'(c) ∝ p(c)·exp(offset_c).
 * The offsets are fitted on images of the target population (the dev set)
 * by maximum likelihood: a convex problem in k - 1 numbers, so it cannot
 * overfit the way a per-image choice could. The features are untouched: a
 * shift between normal and pneumonia alone leaves the pneumonia-vs-normal
 * ranking (its AUC) exactly as it was; different offsets for the two
 * pneumonia classes move it a little.
 */

export interface PriorShift {
  /** log-probability offsets per class (the first pneumonia class is 0: only differences matter). */
  logOffsets: number[];
  /** Where they were fitted (e.g. 'dev: <dir> (315 images)'). */
  chosenOn: string;
}

/** `probs` ([n, k]) with each row moved by `logOffsets` and renormalized (a new array). */
export function applyPriorShift(
  probs: ArrayLike<number>,
  k: number,
  logOffsets: readonly number[] | undefined,
): Float32Array {
  const out = Float32Array.from(probs);
  if (!logOffsets || logOffsets.every((b) => b === 0)) return out;
  if (logOffsets.length !== k) throw new Error(`prior shift: ${logOffsets.length} offsets for ${k} classes`);
  const f = logOffsets.map(Math.exp);
  for (let i = 0; i < out.length; i += k) {
    let s = 0;
    for (let c = 0; c < k; c++) s += out[i + c] = out[i + c]! * f[c]!;
    if (s > 0) for (let c = 0; c < k; c++) out[i + c]! /= s;
  }
  return out;
}

/**
 * The offsets that maximize the likelihood of `labels` under the shifted
 * probabilities (gradient descent on the convex mean negative
 * log-likelihood; offset of class `anchor` held at 0). Classes without an
 * image keep offset 0.
 */
export function fitPriorShift(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  anchor = Math.min(1, k - 1),
  iterations = 500,
): number[] {
  const n = labels.length;
  if (probs.length !== n * k)
    throw new Error(`prior shift: ${probs.length} probabilities for ${n} images and ${k} classes`);
  const logp = Float64Array.from(probs, (p) => Math.log(Math.max(p, 1e-12)));
  const b = new Array<number>(k).fill(0);
  if (n === 0) return b;
  const present = new Array<boolean>(k).fill(false);
  for (let i = 0; i < n; i++) present[labels[i]!] = true;
  const g = new Float64Array(k);
  const z = new Float64Array(k);
  // Step 2: the Hessian of the mean NLL is a covariance of one-hot vectors, at most 1/2 in any direction.
  for (let it = 0; it < iterations; it++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let c = 0; c < k; c++) m = Math.max(m, (z[c] = logp[i * k + c]! + b[c]!));
      let s = 0;
      for (let c = 0; c < k; c++) s += z[c] = Math.exp(z[c]! - m);
      for (let c = 0; c < k; c++) g[c]! += z[c]! / s - (labels[i] === c ? 1 : 0);
    }
    let moved = 0;
    for (let c = 0; c < k; c++) {
      if (!present[c]) continue;
      const step = (2 * g[c]!) / n;
      b[c]! -= step;
      moved = Math.max(moved, Math.abs(step));
    }
    const a = b[anchor]!;
    for (let c = 0; c < k; c++) b[c]! -= a;
    if (moved < 1e-7) break;
  }
  for (let c = 0; c < k; c++) if (!present[c]) b[c] = 0;
  return b;
}
