import { describe, expect, it } from 'vitest';
import { linearTransform, type Rational, rational, toomCook, transpose } from './winograd-toom-cook.js';

const value = (c: Rational) => c.num / c.den;
const numeric = (m: Rational[][]) => m.map((row) => row.map(value));
const apply = (m: number[][], v: number[]) => m.map((row) => row.reduce((acc, c, k) => acc + c * v[k]!, 0));

/** Evaluates the WGSL a transform emits (its syntax here is also JavaScript's) on numbers. */
function evaluate(f: (v: string[]) => string[], inputs: number[]): number[] {
  const names = inputs.map((_, i) => `v${i}`);
  return f(names).map((expr) => new Function(...names, `return ${expr};`)(...inputs) as number);
}

let seed = 7;
const random = (n: number) =>
  Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed / 2 ** 32) * 2 - 1;
  });

describe('Toom-Cook Winograd transforms', () => {
  it("reproduces Lavin & Gray's F(4, 3) from the points 0, ±1, ±2", () => {
    const { AT, G, BT } = toomCook(
      [0, 1, -1, 2, -2].map((p) => rational(p)),
      4,
      3,
    );
    expect(numeric(BT)).toEqual([
      [4, 0, -5, 0, 1, 0],
      [0, -4, -4, 1, 1, 0],
      [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0],
      [0, 4, 0, -5, 0, 1],
    ]);
    expect(G.map((row) => row.map((c) => `${c.num}/${c.den}`))).toEqual([
      ['1/4', '0/1', '0/1'],
      ['-1/6', '-1/6', '-1/6'],
      ['-1/6', '1/6', '-1/6'],
      ['1/24', '1/12', '1/6'],
      ['1/24', '-1/12', '1/6'],
      ['0/1', '0/1', '1/1'],
    ]);
    expect(numeric(AT)).toEqual([
      [1, 1, 1, 1, 1, 0],
      [0, 1, -1, 2, -2, 0],
      [0, 1, 1, 4, 4, 0],
      [0, 1, -1, 8, -8, 1],
    ]);
  });

  // y[i] = Σ_k d[i + k] g[k] = Aᵀ((G g) ⊙ (Bᵀ d)), and the weight gradient's transposed form
  // dg[k] = Σ_i dy[i] d[i + k] = Gᵀ((A dy) ⊙ (Bᵀ d)), through the emitted WGSL.
  for (const [name, m, points] of [
    ['F(2, 3), points 0, ±1', 2, [rational(0), rational(1), rational(-1)]],
    ['F(4, 3), points 0, ±1, 2, -1/2', 4, [rational(0), rational(1), rational(-1), rational(2), rational(-1, 2)]],
    ['F(4, 3), points 0, ±1, ±1/2', 4, [rational(0), rational(1), rational(-1), rational(1, 2), rational(-1, 2)]],
  ] as const) {
    it(`${name}: the emitted transforms compute a correlation and its weight gradient`, () => {
      const { AT, G, BT } = toomCook(points, m, 3);
      const d = random(m + 2);
      const g = random(3);
      const dy = random(m);
      const prod = (a: number[], b: number[]) => a.map((x, i) => x * b[i]!);
      const y = evaluate(linearTransform(AT), prod(evaluate(linearTransform(G), g), evaluate(linearTransform(BT), d)));
      const wantY = Array.from({ length: m }, (_, i) => g.reduce((acc, gk, k) => acc + d[i + k]! * gk, 0));
      y.forEach((v, i) => expect(v).toBeCloseTo(wantY[i]!, 12));
      const dg = evaluate(
        linearTransform(transpose(G)),
        prod(evaluate(linearTransform(transpose(AT)), dy), apply(numeric(BT), d)),
      );
      const wantDg = [0, 1, 2].map((k) => dy.reduce((acc, e, i) => acc + e * d[i + k]!, 0));
      dg.forEach((v, k) => expect(v).toBeCloseTo(wantDg[k]!, 12));
    });
  }

  it('writes ±1 without a multiply, leaves zeros out and folds fractions as constants', () => {
    const f = linearTransform([
      [rational(1), rational(0), rational(-1)],
      [rational(-1, 2), rational(3), rational(0)],
      [rational(0), rational(0), rational(0)],
    ]);
    expect(f(['a', 'b', 'c'])).toEqual(['a - c', '-(1.0 / 2.0) * a + 3.0 * b', '0.0']);
  });

  it('refuses the wrong number of points, repeated points and non-fractions', () => {
    expect(() => toomCook([rational(0), rational(1)], 4, 3)).toThrow(/needs 5 finite points, got 2/);
    expect(() =>
      toomCook(
        [0, 1, -1, 1, 2].map((p) => rational(p)),
        4,
        3,
      ),
    ).toThrow(/distinct/);
    expect(() => rational(0.5)).toThrow(/not a fraction of integers/);
    expect(() => rational(1, 0)).toThrow(/not a fraction of integers/);
    expect(rational(2, -4)).toEqual({ num: -1, den: 2 });
  });
});
