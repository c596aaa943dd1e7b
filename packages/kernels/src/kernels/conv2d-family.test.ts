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
    // A batch of 32 fills every Winograd lane block.
    const s = shape({ n: 32 });
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

  it("Winograd tiles whose lane block would be mostly padding are not offered (a batch-1 8x8 layer's)", () => {
    const small = shape({ n: 1, ci: 256, co: 256, h: 8, w: 8 });
    for (const vs of [K.convForwardVariants(small), K.convInputGradVariants(small)]) {
      expect([...kindsOf(vs)].filter((k) => k.startsWith('wino'))).toEqual([]);
      // The rows kernels take their place at the head of the list.
      expect(K.isStride1Variant(vs[0]!)).toBe(true);
    }
    // At 32x32 one image has 64 F(4x4) tiles: the 128-tile blocks fit, the 512-tile one does not.
    const wino4 = K.convForwardVariants(shape({ n: 1, h: 32, w: 32 })).filter((v) => v.kind === 'wino4');
    expect(wino4.map((v) => (v as K.WinogradTile).wg * (v as K.WinogradTile).tt)).toEqual([128, 128]);
    // At batch 32 a 16x16 layer has 512 F(4x4) tiles: every block fits; on 8x8 layers (128 tiles) the 512-tile block does not.
    const wino4At = (h: number) =>
      K.convForwardVariants(shape({ n: 32, h, w: h })).filter((v) => v.kind === 'wino4').length;
    expect(wino4At(16)).toBe(K.WINOGRAD4_TILES.length);
    expect(wino4At(8)).toBe(K.WINOGRAD4_TILES.length - 1);
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
