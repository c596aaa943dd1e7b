/**
 * The conv variant registries: every registered family's tiles reach the
 * candidate lists where they apply, and nowhere else.
 */
import { describe, expect, it } from 'vitest';
import * as K from '@pneumo/kernels';

const shape = (o: Partial<K.Conv2dShape>): K.Conv2dShape => ({
  n: 2,
  ci: 64,
  co: 64,
  h: 16,
  w: 16,
  kh: 3,
  kw: 3,
  sh: 1,
  sw: 1,
  ph: 1,
  pw: 1,
  ...o,
});
const kindsOf = (vs: { kind: string }[]) => new Set(vs.map((v) => v.kind));

describe('conv variant registries', () => {
  it('each kind is registered once', () => {
    for (const list of [K.ROWS_FAMILIES, K.WEIGHT_GRAD_FAMILIES]) {
      const kinds = list.map((f) => f.kind);
      expect(new Set(kinds).size).toBe(kinds.length);
    }
  });

  it('a 3x3 stride-1 layer with 64 channels offers every tile of every family, forward, input and weight', () => {
    const s = shape({});
    const has = (vs: object[], kind: string, t: object) =>
      vs.some((v) => JSON.stringify(v) === JSON.stringify({ kind, ...t }));
    for (const f of K.ROWS_FAMILIES) {
      for (const t of f.tiles) {
        expect(has(K.convForwardVariants(s), f.kind, t), `forward ${f.kind} ${JSON.stringify(t)}`).toBe(true);
        expect(has(K.convInputGradVariants(s), f.kind, t), `input ${f.kind} ${JSON.stringify(t)}`).toBe(true);
      }
    }
    for (const f of K.WEIGHT_GRAD_FAMILIES) {
      for (const t of f.tiles.filter((t) => f.applies(s, t as never))) {
        expect(has(K.weightGradVariants(s), f.kind, t), `weight ${f.kind} ${JSON.stringify(t)}`).toBe(true);
      }
    }
  });

  it('a strided layer offers only the families that take strides, and none past 3x3', () => {
    const strided = K.ROWS_FAMILIES.filter((f) => f.strided).map((f) => f.kind);
    expect(strided.length).toBeGreaterThan(0);
    const register = (vs: K.ConvVariant[]) => [...kindsOf(vs.filter(K.isStride1Variant))];
    expect(register(K.convForwardVariants(shape({ sh: 2, sw: 2 })))).toEqual(strided);
    expect(register(K.convForwardVariants(shape({ sh: 2, sw: 2, kh: 5, kw: 5, ph: 2, pw: 2 })))).toEqual([]);
  });

  it('Winograd only where it pays: 3x3 with 16 or more channels summed over', () => {
    expect(kindsOf(K.convForwardVariants(shape({ ci: 3 }))).has('wino')).toBe(false);
    expect(kindsOf(K.convForwardVariants(shape({ kh: 5, kw: 5, ph: 2, pw: 2 }))).has('wino')).toBe(false);
    // The input gradient sums over the output channels.
    expect(kindsOf(K.convInputGradVariants(shape({ ci: 3, co: 16 }))).has('wino')).toBe(true);
  });

  it('the candidate info and the batch split come from the family', () => {
    const s = shape({});
    for (const v of K.weightGradVariants(s)) {
      if (v.kind === 'tiled') continue;
      const f = K.WEIGHT_GRAD_FAMILIES.find((f) => f.kind === v.kind)!;
      expect(K.convVariantInfo(v, s, 'weight').unroll).toBe(f.unroll(v as never, s));
      if (f.threads === null) expect(K.weightGradSplits(s, v, 1 << 20)).toBe(1);
      else
        expect(K.weightGradSplits(s, v, 1 << 20)).toBe(Math.min(s.n, Math.ceil((1 << 20) / f.threads(s, v as never))));
    }
  });
});
