/** Comparing computed values with references (no dependency: the kernels package's tests use it alone). */

/** The largest of `diff(x, y)` over element pairs; NaN if either side has a NaN the other lacks (equal values, NaNs included, count 0). */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, diff: (x: number, y: number) => number): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) !== Number.isNaN(y)) return NaN;
    if (Number.isNaN(x) || x === y) continue;
    m = Math.max(m, diff(x, y));
  }
  return m;
}

/** Max |a - b| over all elements; NaN if either has a NaN the other lacks. */
export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => maxDiff(a, b, (x, y) => Math.abs(x - y));

/** Max |a - b| / max(1, |b|): relative for large values, absolute near zero. */
export const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  maxDiff(a, b, (x, y) => Math.abs(x - y) / Math.max(1, Math.abs(y)));
