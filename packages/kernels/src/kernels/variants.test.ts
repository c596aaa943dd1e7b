/**
 * Every kernel variant the tuner can pick, on a grid of awkward shapes,
 * against the plain-TypeScript references. Each output buffer is filled with
 * NaN first, so an element a variant forgets to write fails the comparison.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as K from '@pneumo/kernels';

const ref = K.reference;
import { createDevice } from '@pneumo/kernels/node';
import { maxRelDiff } from '@pneumo/test-support/compare';

/** The Winograd families (F(2x2) and F(4x4)), run here on every 3x3 stride-1 geometry. */
const WINO_KINDS: readonly string[] = ['wino', 'wino4'];

let ctx: K.GpuContext;
beforeAll(async () => {
  ctx = await createDevice();
});
afterAll(() => ctx?.destroy());

let seed = 12345;
function random(n: number, ints = false): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = ints ? (seed >>> 29) - 3 : (seed / 2 ** 32) * 2 - 1;
  }
  return out;
}

function upload(data: Float32Array | Int32Array): GPUBuffer {
  const b = ctx.alloc(Math.max(16, data.byteLength));
  ctx.write(b, data);
  return b;
}

function poisoned(n: number): GPUBuffer {
  const b = ctx.alloc(Math.max(16, n * 4));
  K.fill(ctx, b, n, K.f32Bits(NaN));
  return b;
}

async function read(b: GPUBuffer, n: number): Promise<Float32Array> {
  return new Float32Array(await ctx.read(b, n * 4));
}

const TOL = 2e-5;
/**
 * F(4x4, 3x3)'s transforms (fractions 1/6 and 1/24, input weights up to 5 in
 * each direction) amplify float32 rounding several-fold: it is held to the
 * PyTorch golden tests' 1e-4 instead.
 */
const tolOf = (variant: { kind: string }) => (variant.kind === 'wino4' ? 1e-4 : TOL);

// (kernel, stride, padding) x (n, ci, co, h, w), cycled so every value of
// each axis appears with several of the others.
const GEOMS: [number, number, number][] = [];
for (const k of [1, 3, 5]) for (const s of [1, 2]) for (const p of [0, 1, 2]) if (k + 2 * p >= 1) GEOMS.push([k, s, p]);
const SIZES: [number, number, number, number, number][] = [
  [1, 3, 5, 7, 9],
  [3, 5, 16, 9, 6],
  [1, 1, 7, 11, 5],
  [3, 7, 3, 6, 13],
  [1, 16, 1, 5, 5],
];
const CONV_CASES: K.Conv2dShape[] = [];
GEOMS.forEach(([k, s, p], i) => {
  for (let j = 0; j < 2; j++) {
    const [n, ci, co, h, w] = SIZES[(i + j * 3) % SIZES.length]!;
    if (h + 2 * p < k || w + 2 * p < k) continue;
    CONV_CASES.push({ n, ci, co, h, w, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p });
  }
});
// Output widths divisible by 4 (the aligned vec4 paths), as in the blog CNN.
CONV_CASES.push({ n: 2, ci: 3, co: 5, h: 8, w: 8, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 });
CONV_CASES.push({ n: 3, ci: 4, co: 17, h: 6, w: 12, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 });
// Non-square kernel and mixed strides.
CONV_CASES.push({ n: 2, ci: 3, co: 5, h: 8, w: 7, kh: 3, kw: 1, sh: 2, sw: 1, ph: 1, pw: 0 });

const name = (s: K.Conv2dShape) =>
  `n${s.n} ci${s.ci} co${s.co} ${s.h}x${s.w} k${s.kh}x${s.kw} s${s.sh}x${s.sw} p${s.ph}x${s.pw}`;

/**
 * Every variant each pass of geometry s runs here: what the tuner could
 * offer, plus Winograd on any 3x3 stride-1 geometry, even where the tuner
 * would not offer it (short reductions, few channels). The input gradient
 * of a strided 3x3 runs the stride-1 kernels, Winograd included, on the
 * dilated gradient. Winograd variants chain `kc` reduction steps per loop
 * trip, as the tuner offers them on this adapter's class.
 */
function variantsOf(s: K.Conv2dShape, kc = 1) {
  const wino = s.kh === 3 && s.kw === 3 && s.sh === 1 && s.sw === 1;
  const winoInput = s.kh === 3 && s.kw === 3 && s.ph <= 2 && s.pw <= 2;
  const plus = <V extends { kind: string }>(vs: V[], extra: V[], on: boolean) => [
    ...vs.filter((v) => !WINO_KINDS.includes(v.kind)),
    ...(on ? extra : []),
  ];
  const winoConv = [
    ...K.WINOGRAD_TILES.map((t) => ({ kind: 'wino' as const, ...t })),
    ...K.WINOGRAD4_TILES.map((t) => ({ kind: 'wino4' as const, ...t })),
  ];
  const chained = <V extends { kind: string }>(vs: V[]) => vs.map((v) => K.withReductionChain(v, kc));
  return {
    forward: chained(plus(K.convForwardVariants(s), winoConv, wino)),
    input: chained(plus(K.convInputGradVariants(s), winoConv, winoInput)),
    weight: chained(
      plus(
        K.weightGradVariants(s),
        [
          ...K.WINOGRAD_WEIGHT_TILES.map((t) => ({ kind: 'wino' as const, ...t })),
          ...K.WINOGRAD4_WEIGHT_TILES.map((t) => ({ kind: 'wino4' as const, ...t })),
        ],
        wino,
      ),
    ),
  };
}

/**
 * A case's time budget from what it does: each variant is compiled once
 * (SwiftShader takes up to about 1.5 s for the largest bodies a class
 * allows, kernel-class.ts, and twice that with another job on the cores)
 * and run a few times on tiny data; 5 s a variant leaves room for a slow
 * machine without letting a hung kernel stall the run for long.
 */
const budget = (s: K.Conv2dShape) => {
  const v = variantsOf(s);
  return 20_000 + 5_000 * (v.forward.length + v.input.length + v.weight.length);
};

describe('conv2d kernels, every variant vs the reference', () => {
  for (const s of CONV_CASES) {
    it(
      name(s),
      async () => {
        const { oh, ow } = K.convOutSize(s);
        const xs = random(s.n * s.ci * s.h * s.w);
        const ws = random(s.co * s.ci * s.kh * s.kw);
        const bs = random(s.co);
        const gs = random(s.n * s.co * oh * ow);
        const x = upload(xs);
        const w = upload(ws);
        const b = upload(bs);
        const g = upload(gs);
        const wantY = ref.conv2d(xs, ws, bs, s);
        const wantDx = ref.conv2dInputGrad(gs, ws, s);
        const wantDw = ref.conv2dWeightGrad(xs, gs, s);
        const variants = variantsOf(s, ctx.policy.reductionChain);
        for (const variant of variants.forward) {
          const y = poisoned(wantY.length);
          K.conv2dForward(ctx, x, w, b, y, s, variant);
          expect(
            maxRelDiff(await read(y, wantY.length), wantY),
            `forward ${JSON.stringify(variant)}`,
          ).toBeLessThanOrEqual(tolOf(variant));
          ctx.free(y);
        }
        for (const variant of variants.input) {
          const dx = poisoned(wantDx.length);
          K.conv2dInputGrad(ctx, g, w, dx, s, variant);
          expect(
            maxRelDiff(await read(dx, wantDx.length), wantDx),
            `dInput ${JSON.stringify(variant)}`,
          ).toBeLessThanOrEqual(tolOf(variant));
          ctx.free(dx);
        }
        for (const tile of variants.weight) {
          for (const splits of [1, 2, s.n + 1]) {
            const size = wantDw.length;
            const partial = poisoned(splits * size);
            K.conv2dWeightGrad(ctx, x, g, partial, s, splits, tile);
            const dw = poisoned(size);
            K.reduce(ctx, 'sum', partial, dw, [splits, size], [0]);
            expect(
              maxRelDiff(await read(dw, size), wantDw),
              `dWeight ${JSON.stringify(tile)} splits ${splits}`,
            ).toBeLessThanOrEqual(tolOf(tile));
            ctx.free(partial);
            ctx.free(dw);
          }
        }
        for (const buf of [x, w, b, g]) ctx.free(buf);
      },
      budget(s),
    );
  }
});

describe('Winograd passes with tiles outside the class tables', () => {
  // The class tiles have tt a multiple of 4, so the GEMM reads its lane operand as vec4s; most of these take
  // its one-float loads, and blocks of 1-8 lanes pad the tile count least.
  it.each([
    ['F(2x2) forward, block of 3', 'wino', { tt: 1, tco: 4, wg: 3 }],
    ['F(4x4) forward, block of 3', 'wino4', { tt: 1, tco: 4, wg: 3 }],
    ['F(4x4) forward, block of 4', 'wino4', { tt: 4, tco: 4, wg: 1 }],
    ['F(4x4) weight gradient, block of 3', 'wino4', { tt: 1, tco: 4, wg: 3 }],
    ['F(2x2) weight gradient, block of 2', 'wino', { tt: 2, tco: 4, wg: 1 }],
    // Chained reduction steps (kc) where they do not divide the reduction (5 input channels; the
    // weight gradient's splits of the tiles), with float and vec4 lane operands.
    ['F(4x4) forward, 3 chained steps', 'wino4', { tt: 1, tco: 4, wg: 3, kc: 3 }],
    ['F(2x2) forward, 4 chained steps, vec4 lanes', 'wino', { tt: 4, tco: 8, wg: 2, kc: 4 }],
    // (18 F(4x4) tiles, 60 F(2x2) ones)
    ['F(4x4) weight gradient, 4 chained steps', 'wino4', { tt: 1, tco: 4, wg: 3, kc: 4 }],
    ['F(2x2) weight gradient, 7 chained steps, vec4 lanes', 'wino', { tt: 4, tco: 4, wg: 1, kc: 7 }],
  ] as const)('%s', async (name, kind, tile) => {
    const s: K.Conv2dShape = { n: 3, ci: 5, co: 6, h: 9, w: 7, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 };
    const { oh, ow } = K.convOutSize(s);
    const xs = random(s.n * s.ci * s.h * s.w);
    const ws = random(s.co * s.ci * s.kh * s.kw);
    const bs = random(s.co);
    const gs = random(s.n * s.co * oh * ow);
    const [x, w, b, g] = [xs, ws, bs, gs].map(upload) as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    const variant = { kind, ...tile };
    const tol = kind === 'wino4' ? 1e-4 : TOL;
    if (name.includes('weight')) {
      const want = ref.conv2dWeightGrad(xs, gs, s);
      const dw = poisoned(want.length);
      K.conv2dWeightGrad(ctx, x, g, dw, s, 1, variant);
      expect(maxRelDiff(await read(dw, want.length), want)).toBeLessThanOrEqual(tol);
      ctx.free(dw);
    } else {
      const want = ref.conv2d(xs, ws, bs, s);
      const y = poisoned(want.length);
      K.conv2dForward(ctx, x, w, b, y, s, variant);
      expect(maxRelDiff(await read(y, want.length), want)).toBeLessThanOrEqual(tol);
      ctx.free(y);
    }
    for (const buf of [x, w, b, g]) ctx.free(buf);
  });
});

describe('Winograd conv in image chunks (the V and M buffers bounded)', () => {
  it('matches the reference when a pass is split into chunks of images, and refuses an image too big for a binding', async () => {
    const s: K.Conv2dShape = { n: 5, ci: 3, co: 6, h: 7, w: 9, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 };
    const { oh, ow } = K.convOutSize(s);
    const xs = random(s.n * s.ci * s.h * s.w);
    const ws = random(s.co * s.ci * s.kh * s.kw);
    const bs = random(s.co);
    const x = upload(xs);
    const w = upload(ws);
    const b = upload(bs);
    const want = ref.conv2d(xs, ws, bs, s);
    const tile = { tt: 2, tco: 4, wg: 8 };
    // 16 values x 6 channels x 4 bytes per tile; 20 tiles per image; a block is 16 tiles: room for two images.
    const perTile = 16 * 6 * 4;
    const y = poisoned(want.length);
    const geometry = { ...s, oh, ow, wBase: 0, wO: s.ci * 9, wI: 9, wKy: 3, wKx: 1 };
    K.conv2dWinograd(ctx, x, w, b, y, geometry, tile, 'chunked', perTile * (2 * 20 + 16));
    expect(maxRelDiff(await read(y, want.length), want)).toBeLessThanOrEqual(TOL);
    expect(() => K.conv2dWinograd(ctx, x, w, b, y, geometry, tile, 'too small', perTile * 30)).toThrow(
      /exceed a storage binding/,
    );
    for (const buf of [x, w, b, y]) ctx.free(buf);
  });

  it('weight gradient: reduction split in parts and image chunks, extra output slots zeroed', async () => {
    // 8 x 9 tiles per image, 360 in all: up to 5 parts of >= 64 tiles.
    const s: K.Conv2dShape = { n: 5, ci: 6, co: 5, h: 16, w: 17, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 0 };
    const { oh, ow } = K.convOutSize(s);
    const xs = random(s.n * s.ci * s.h * s.w);
    const gs = random(s.n * s.co * oh * ow);
    const x = upload(xs);
    const g = upload(gs);
    const want = ref.conv2dWeightGrad(xs, gs, s);
    const tile = { tt: 2, tco: 4, wg: 4 };
    const size = want.length;
    for (const maxBinding of [undefined, 16 * 8 * 4 * 72 * 2]) {
      const out = poisoned(3 * size);
      K.conv2dWeightGradWinograd(ctx, x, g, out, s, 3, tile, 'split', maxBinding);
      const got = await read(out, 3 * size);
      expect(maxRelDiff(got.subarray(0, size), want), `max binding ${maxBinding}`).toBeLessThanOrEqual(TOL);
      expect(got.subarray(size).every((v) => v === 0)).toBe(true);
      ctx.free(out);
    }
    for (const buf of [x, g]) ctx.free(buf);
  });
});

// 2x2 / 2 over rows of a multiple of 4 runs the pair kernels; over other even rows the whole-window backward.
const POOLS: K.Pool2dShape[] = [
  { planes: 3, h: 8, w: 8, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
  { planes: 5, h: 6, w: 12, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
  { planes: 3, h: 4, w: 6, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
  { planes: 2, h: 7, w: 9, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
  { planes: 5, h: 9, w: 7, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 },
  { planes: 1, h: 6, w: 11, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0 },
  { planes: 4, h: 5, w: 5, kh: 3, kw: 2, sh: 1, sw: 2, ph: 1, pw: 1 },
  { planes: 2, h: 13, w: 10, kh: 5, kw: 5, sh: 3, sw: 2, ph: 2, pw: 2 },
];

describe('maxPool2d kernels vs the reference (integer data: many ties; then NaNs, which win)', () => {
  it.each(
    POOLS.flatMap((s) => [
      [`${JSON.stringify(s)}`, s, false] as const,
      [`${JSON.stringify(s)} NaNs`, s, true] as const,
    ]),
  )('%s', async (_, s, nans) => {
    const { oh, ow } = K.poolOutSize(s);
    const xs = random(s.planes * s.h * s.w, true);
    if (nans) for (let i = 3; i < xs.length; i += 7) xs[i] = NaN;
    const gs = random(s.planes * oh * ow);
    const [wantY, wantIdx] = ref.maxPool2d(xs, s);
    const wantDx = ref.maxPool2dBackward(gs, wantIdx, s);
    const x = upload(xs);
    const g = upload(gs);
    const y = poisoned(wantY.length);
    const idx = poisoned(wantY.length);
    K.maxPool2dForward(ctx, x, y, idx, s);
    expect(Array.from(await read(y, wantY.length))).toEqual(Array.from(wantY));
    expect(Array.from(new Int32Array(await ctx.read(idx, wantIdx.length * 4)))).toEqual(Array.from(wantIdx));
    const dx = poisoned(wantDx.length);
    K.maxPool2dBackward(ctx, g, idx, dx, s);
    expect(maxRelDiff(await read(dx, wantDx.length), wantDx)).toBeLessThanOrEqual(TOL);
    for (const b of [x, g, y, idx, dx]) ctx.free(b);
  });
});

const MATMULS: K.MatmulShape[] = [];
for (const [m, n, k] of [
  [1, 1, 1],
  [37, 33, 65],
  [32, 256, 64],
  [5, 10, 12],
  [64, 8, 4],
  [20, 12, 7],
] as const) {
  for (const [transA, transB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    MATMULS.push({ batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0 });
  }
}
MATMULS.push({ batch: 3, m: 12, n: 8, k: 16, transA: false, transB: false, aBatchStride: 12 * 16, bBatchStride: 0 });
MATMULS.push({ batch: 2, m: 5, n: 4, k: 8, transA: false, transB: true, aBatchStride: 0, bBatchStride: 32 });

describe('matmul kernels, every variant that fits, vs the reference', () => {
  it.each(
    MATMULS.map((s) => [`${s.batch}x${s.m}x${s.n}x${s.k} ${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`, s] as const),
  )('%s', async (_, s) => {
    const as = random(Math.max(1, s.batch * (s.aBatchStride || 1)) * s.m * s.k);
    const bs = random(Math.max(1, s.batch) * s.k * s.n);
    const bias = random(s.n);
    const a = upload(as);
    const b = upload(bs);
    const bb = upload(bias);
    let ran = 0;
    for (const withBias of [false, true]) {
      const want = ref.matmul(as, bs, s, withBias ? bias : null);
      for (const config of K.MATMUL_CONFIGS) {
        if (!K.vec4Allowed(s, config)) continue;
        const c = poisoned(want.length);
        K.matmul(ctx, a, b, c, s, withBias ? bb : null, config);
        expect(maxRelDiff(await read(c, want.length), want), JSON.stringify(config)).toBeLessThanOrEqual(TOL);
        ctx.free(c);
        ran++;
      }
    }
    expect(ran).toBeGreaterThanOrEqual(2);
    for (const x of [a, b, bb]) ctx.free(x);
  });
});
