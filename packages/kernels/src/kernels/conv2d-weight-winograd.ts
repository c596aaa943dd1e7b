import { allOf, memoKernel, range } from '../kernel.js';
import { convOutSize } from './window.js';
import type { WeightGradPass } from './conv2d-row-loads.js';
import {
  A_,
  F2X2,
  GT,
  outputTile,
  transform2d,
  transformKernel,
  WINOGRAD_WG,
  winogradGemmKernel,
  winogradInputKernel,
  type WinogradScheme,
  type WinogradTile,
  winogradUnroll,
} from './conv2d-winograd.js';
import { type WeightGradFamily, strideOne } from './conv2d-family.js';

/**
 * The weight gradient of a 3x3 stride-1 convolution through Winograd
 * F(m x m, 3x3), the transpose of the forward (conv2d-winograd.ts): with
 * V_t = Bᵀ d_t B the input patch of tile t and Z_t = A dY_t Aᵀ its m x m
 * output gradient, dU[ξ] = Σ_t Z_t[ξ] V_t[ξ] and dW = Gᵀ dU G.
 *
 *   Z[ξ][t][co]     output-gradient tiles, vec4s over co (uniform in the GEMM)
 *   V[ξ][t][ci]     input tiles, transposed (lanes over input channels)
 *   P[s][ξ][co][ci] the GEMM, its reduction over tiles split in `splits`
 *                   parts (and in image chunks) for parallelism
 *   dW              Gᵀ (Σ_s P[s]) G, in one pass
 *
 * F(2x2): 16 multiply-adds per 2x2 tile and channel pair instead of 36;
 * F(4x4) (conv2d-weight-winograd4.ts): 36 per 4x4 tile instead of 144.
 */

/** What the weight gradient needs of a Winograd scheme: its input transform and the transposes of its other two. */
export interface WinogradWeightScheme {
  /** m, the kernels' name suffix and Bᵀ (the input tiles are the forward's). */
  readonly scheme: WinogradScheme;
  /** The output transform's transpose, m -> alpha: an output-gradient tile into the Winograd domain. */
  readonly A: (y: string[]) => string[];
  /** The weight transform's transpose, alpha -> 3: the GEMM's sums back to the 3x3 taps. */
  readonly GT: (v: string[]) => string[];
}

export const F2X2_WEIGHT: WinogradWeightScheme = { scheme: F2X2, A: A_, GT };

const WG = WINOGRAD_WG;
/**
 * Measured on llvmpipe, blog CNN at batch 32 (all passes, direct-convolution
 * FLOPs) on 32->64 32x32 / 64->128 16x16 / 128->128 / 128->256 8x8 /
 * 256->256: tt 8 x tco 32 x wg 8 runs 16 / 55 / 48 / 66 / 67 GFLOP/s, tt 16
 * x tco 32 x wg 8 13 / 29 / 64 / 51 / 77, tt 4 x tco 32 x wg 8 20 / 38 / 43 /
 * 48 / 47 (the wco kernel: 27 / 28 / 32 / 28 / 30). Lanes run over input
 * channels padded to a block (wg x tt), so a block much larger than ci
 * wastes lanes; 32x32 layers lose to the output-gradient transform.
 */
export const WINOGRAD_WEIGHT_TILES: readonly WinogradTile[] = [
  { tt: 8, tco: 32, wg: 8 },
  { tt: 16, tco: 32, wg: 8 },
  { tt: 4, tco: 32, wg: 8 },
];

/** A kernel per weight scheme (its suffix names it). */
const perWeightScheme = <T>(make: (ws: WinogradWeightScheme) => T) => memoKernel(make, (ws) => ws.scheme.suffix);

/** Z[(ξ*T + t)*op + o] = (A dY_t Aᵀ)[ξ] for output channel o (zero for o >= co and outside the output). */
const gradKernel = perWeightScheme((ws) => {
  const { m, suffix } = ws.scheme;
  const alpha = m + 2;
  const { lines, names } = transform2d((r, c) => `e${r}_${c}`, m, ws.A, 'z');
  // Element (r, c) of the tile, zero past the output's right and bottom edges (its address clamped to the tile's first).
  const loads = range(m).flatMap((r) =>
    range(m).map((c) => {
      const inside = [...(c > 0 ? [`ox + ${c}u < p.ow`] : []), ...(r > 0 ? [`oy + ${r}u < p.oh`] : [])];
      const offset = `${r > 0 ? `${r}u * p.ow + ` : ''}${c}u`;
      const at = inside.length === 0 ? `at + ${offset}` : `at + select(0u, ${offset}, ${allOf(...inside)})`;
      return `let e${r}_${c} = select(0.0, DY[${at}], ${allOf('ok', ...inside)});`;
    }),
  );
  return transformKernel({
    name: `conv2d_winograd_output_grad${suffix}`,
    from: 'DY',
    to: 'Z',
    params: [
      ['n0', 'u32'],
      ['co', 'u32'],
      ['op', 'u32'],
      ['oh', 'u32'],
      ['ow', 'u32'],
      ['tilesX', 'u32'],
      ['perImage', 'u32'],
      ['t', 'u32'],
    ],
    lane: 't',
    channel: 'o',
    body: `
  if (t >= p.t) { return; }
  let ok = o < p.co;
  ${outputTile('min(o, p.co - 1u)', m)}
  ${loads.join('\n  ')}
  ${lines.join('\n  ')}
  ${names.flatMap((row, r) => row.map((n, c) => `Z[(${alpha * r + c}u * p.t + t) * p.op + o] = ${n};`)).join('\n  ')}`,
  });
});

/** dW[o][c] = Gᵀ (Σ_s P[s][·][o][c]) G; splits 1.. of the caller's partial output get zeros. */
const weightKernel = perWeightScheme((ws) => {
  const alpha = ws.scheme.m + 2;
  const planes = alpha * alpha;
  const { lines, names } = transform2d((r, c) => `d${alpha * r + c}`, alpha, ws.GT, 'g');
  return transformKernel({
    name: `conv2d_winograd_weight_grad${ws.scheme.suffix}`,
    from: 'P',
    to: 'DW',
    params: [
      ['ci', 'u32'],
      ['co', 'u32'],
      ['cip', 'u32'],
      ['parts', 'u32'],
      ['outSplits', 'u32'],
    ],
    lane: 'c',
    channel: 'o',
    body: `
  if (c >= p.ci) { return; }
  ${range(planes)
    .map((x) => `var d${x} = 0.0;`)
    .join(' ')}
  for (var s = 0u; s < p.parts; s++) {
    let at = (s * ${planes}u * p.co + o) * p.cip + c;
    ${range(planes)
      .map((x) => `d${x} += P[at + ${x}u * p.co * p.cip];`)
      .join(' ')}
  }
  ${lines.join('\n  ')}
  let base = (o * p.ci + c) * 9u;
  ${names.flatMap((row, r) => row.map((n, k) => `DW[base + ${3 * r + k}u] = ${n};`)).join('\n  ')}
  let size = p.co * p.ci * 9u;
  for (var s = 1u; s < p.outSplits; s++) {
    for (var k = 0u; k < 9u; k++) { DW[s * size + base + k] = 0.0; }
  }`,
  });
});

/**
 * How many parts the GEMM's reduction over tiles splits into: enough
 * invocations (lanes x co blocks x planes each) for the device, each part at
 * least 64 tiles.
 */
export function winogradWeightSplits(
  lanes: number,
  coBlocks: number,
  tiles: number,
  targetThreads: number,
  planes = 16,
): number {
  const threads = lanes * coBlocks * planes;
  return Math.max(1, Math.min(Math.floor(tiles / 64), Math.ceil(targetThreads / threads)));
}

/**
 * The weight-gradient pass of a Winograd scheme: the gradient of a 3x3
 * stride-1 convolution into `partial` (the whole gradient in the first of
 * `outSplits` slots, zeros in the others, so it fits the callers that sum
 * partial gradients).
 */
export function winogradWeightPass(ws: WinogradWeightScheme): WeightGradPass<WinogradTile, [maxBinding?: number]> {
  const { m } = ws.scheme;
  const planes = (m + 2) ** 2;
  return (
    ctx,
    x,
    dy,
    partial,
    s,
    outSplits,
    tile,
    label,
    // Bytes one storage binding may hold (default: the device's limit; tests pass less to force chunks).
    maxBinding = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize),
  ) => {
    if (s.kh !== 3 || s.kw !== 3 || s.sh !== 1 || s.sw !== 1)
      throw new Error(`${label}: the Winograd variant needs a 3x3 kernel and stride 1`);
    const { oh, ow } = convOutSize(s);
    const op4 = Math.ceil(s.co / 4);
    const op = 4 * op4;
    const block = tile.wg * tile.tt;
    const cip = Math.ceil(s.ci / block) * block;
    const tilesX = Math.ceil(ow / m);
    const perImage = tilesX * Math.ceil(oh / m);
    const perTile = planes * Math.max(cip, op) * 4;
    const chunk = Math.max(1, Math.min(s.n, Math.floor(maxBinding / perTile / perImage)));
    if (chunk * perImage * perTile > maxBinding)
      throw new Error(`${label}: one image's Winograd tiles exceed a storage binding (${maxBinding} bytes)`);
    const chunks = Math.ceil(s.n / chunk);
    const coBlocks = Math.ceil(op4 / (tile.tco / 4));
    const splits = Math.min(
      winogradWeightSplits(cip / tile.tt, coBlocks, chunk * perImage, ctx.policy.targetThreads, planes),
      Math.max(1, Math.floor(maxBinding / (planes * s.co * cip * 4 * chunks))),
    );
    const parts = chunks * splits;
    const p = ctx.alloc(parts * planes * s.co * cip * 4, 'conv2d Winograd weight-gradient parts');
    for (let c = 0; c < chunks; c++) {
      const n0 = c * chunk;
      const t = Math.min(chunk, s.n - n0) * perImage;
      const v = ctx.alloc(planes * t * cip * 4, 'conv2d Winograd input tiles (transposed)');
      const z = ctx.alloc(planes * t * op * 4, 'conv2d Winograd output-gradient tiles');
      const tiles = {
        n0,
        ci: s.ci,
        co: s.co,
        h: s.h,
        w: s.w,
        oh,
        ow,
        ph: s.ph,
        pw: s.pw,
        tilesX,
        perImage,
        t,
        tp: t,
        hasBias: 0,
        vX: t * cip,
        vC: 1,
        vT: cip,
      };
      ctx.dispatch(
        winogradInputKernel(ws.scheme),
        [x, v],
        tiles,
        [Math.ceil(t / WG), s.ci, 1],
        `${label} (Winograd input)`,
      );
      ctx.dispatch(
        gradKernel(ws),
        [dy, z],
        { n0, co: s.co, op, oh, ow, tilesX, perImage, t },
        [Math.ceil(t / WG), op, 1],
        `${label} (Winograd output gradient)`,
      );
      const gemm = { k: Math.ceil(t / splits), kAll: t, co: s.co, tp: cip, op4, splitBase: c * splits };
      ctx.dispatch(winogradGemmKernel(tile, planes), [v, z, p], gemm, [cip / block, coBlocks, planes * splits], label);
      ctx.free(v);
      ctx.free(z);
    }
    ctx.dispatch(
      weightKernel(ws),
      [p, partial],
      { ci: s.ci, co: s.co, cip, parts, outSplits },
      [Math.ceil(s.ci / WG), s.co, 1],
      `${label} (Winograd weights)`,
    );
    ctx.free(p);
  };
}

/** F(2x2)'s weight gradient pass. */
export const conv2dWeightGradWinograd = winogradWeightPass(F2X2_WEIGHT);

/**
 * A Winograd weight-gradient family: 3x3 stride 1, and only tiles whose
 * lane block the input channels fill (its lanes run over input channels
 * padded to a block). It splits its own reduction.
 */
export function winogradWeightFamily<K extends string>(
  kind: K,
  run: WeightGradPass<WinogradTile, [maxBinding?: number]>,
): WeightGradFamily<K, WinogradTile> {
  return {
    kind,
    tiles: WINOGRAD_WEIGHT_TILES,
    applies: (s, t) => strideOne(s) && s.kh === 3 && s.kw === 3 && t.wg * t.tt <= s.ci,
    unroll: winogradUnroll,
    threads: null,
    preferred: true,
    run,
  };
}

/** F(2x2)'s weight gradient. */
export const WEIGHT_WINOGRAD_FAMILY = winogradWeightFamily('wino', conv2dWeightGradWinograd);
