/**
 * Winograd transforms derived from their interpolation points (the
 * Toom-Cook construction) instead of written out by hand: F(m, r) with
 * alpha = m + r - 1 points, the last one at infinity. For finite points
 * p_0..p_{alpha-2}:
 *
 *   Aᵀ[i][j] = p_j^i                 (the output transform, m x alpha)
 *   G[j][k]  = p_j^k / Π_{l≠j}(p_j - p_l)   (the weight transform, alpha x r)
 *   Bᵀ[j]    = coefficients of Π_{l≠j}(x - p_l), lowest power first
 *
 * and at infinity Aᵀ picks the last product for the highest output, G the
 * last tap, and Bᵀ's row is Π_l(x - p_l). With the points 0, ±1, ±2 this
 * gives Lavin & Gray's F(4, 3) (conv2d-winograd4.ts writes that one out).
 * Which points a scheme uses decides how far float32 rounding is amplified;
 * the matrices are exact rationals, written into WGSL as constant fractions.
 */

/** An exact fraction num/den, den > 0, in lowest terms. */
export interface Rational {
  readonly num: number;
  readonly den: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));

export function rational(num: number, den = 1): Rational {
  if (!Number.isInteger(num) || !Number.isInteger(den) || den === 0)
    throw new Error(`rational: ${num}/${den} is not a fraction of integers`);
  const g = gcd(num, den) * Math.sign(den);
  // `|| 0` turns -0 into 0.
  return { num: num / g || 0, den: den / g };
}

const ZERO = rational(0);
const ONE = rational(1);
const add = (a: Rational, b: Rational) => rational(a.num * b.den + b.num * a.den, a.den * b.den);
const sub = (a: Rational, b: Rational) => rational(a.num * b.den - b.num * a.den, a.den * b.den);
const mul = (a: Rational, b: Rational) => rational(a.num * b.num, a.den * b.den);
const div = (a: Rational, b: Rational) => rational(a.num * b.den, a.den * b.num);
const pow = (a: Rational, k: number) => Array.from({ length: k }, () => a).reduce(mul, ONE);

/** Coefficients (lowest power first) of Π (x - root) over `roots`. */
function rootsPolynomial(roots: readonly Rational[]): Rational[] {
  let poly: Rational[] = [ONE];
  for (const root of roots) {
    const next: Rational[] = Array.from({ length: poly.length + 1 }, () => ZERO);
    poly.forEach((c, i) => {
      next[i + 1] = add(next[i + 1]!, c);
      next[i] = sub(next[i]!, mul(c, root));
    });
    poly = next;
  }
  return poly;
}

/** The three matrices of F(m, r) for the given finite points (alpha - 1 = m + r - 2 of them, distinct). */
export interface ToomCook {
  readonly AT: Rational[][];
  readonly G: Rational[][];
  readonly BT: Rational[][];
}

export function toomCook(points: readonly Rational[], m: number, r: number): ToomCook {
  const alpha = m + r - 1;
  if (points.length !== alpha - 1)
    throw new Error(`toomCook: F(${m}, ${r}) needs ${alpha - 1} finite points, got ${points.length}`);
  const key = (p: Rational) => `${p.num}/${p.den}`;
  if (new Set(points.map(key)).size !== points.length) throw new Error('toomCook: the points must be distinct');
  const AT = Array.from({ length: m }, (_, i) => [...points.map((p) => pow(p, i)), i === m - 1 ? ONE : ZERO]);
  const G = [
    ...points.map((p, j) => {
      const norm = points.reduce((acc, q, l) => (l === j ? acc : mul(acc, sub(p, q))), ONE);
      return Array.from({ length: r }, (_, k) => div(pow(p, k), norm));
    }),
    Array.from({ length: r }, (_, k) => (k === r - 1 ? ONE : ZERO)),
  ];
  const pad = (poly: Rational[]) => [...poly, ...Array.from({ length: alpha - poly.length }, () => ZERO)];
  const BT = [
    ...points.map((_, j) => pad(rootsPolynomial(points.filter((__, l) => l !== j)))),
    pad(rootsPolynomial(points)),
  ];
  return { AT, G, BT };
}

export const transpose = (a: Rational[][]): Rational[][] => a[0]!.map((_, c) => a.map((row) => row[c]!));

/** A WGSL f32 constant for a fraction (WGSL folds the division at compile time). */
function literal(c: Rational): string {
  return c.den === 1 ? `${Math.abs(c.num)}.0` : `(${Math.abs(c.num)}.0 / ${c.den}.0)`;
}

/**
 * The 1-D transform y = M v as WGSL expressions on the names in v: one sum
 * per row, zero coefficients left out, ±1 without a multiply.
 */
export function linearTransform(matrix: Rational[][]): (v: string[]) => string[] {
  return (v) =>
    matrix.map((row) => {
      const terms = row.flatMap((c, k) => {
        if (c.num === 0) return [];
        const mag = c.num === c.den || c.num === -c.den ? v[k]! : `${literal(c)} * ${v[k]}`;
        return [{ neg: c.num < 0, mag }];
      });
      if (terms.length === 0) return '0.0';
      return terms
        .map((t, i) => (i === 0 ? (t.neg ? `-${t.mag}` : t.mag) : `${t.neg ? ' - ' : ' + '}${t.mag}`))
        .join('');
    });
}
