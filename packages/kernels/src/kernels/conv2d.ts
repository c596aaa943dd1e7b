import type { BufferBinding, GpuContext } from '../context.js';
import { allOf, defineKernel, input, output, range } from '../kernel.js';
import { CONV_ROWS_TILES, conv2dRows, type ConvRowsGeometry, type ConvRowsTile } from './conv2d-rows.js';
import { CONV_ROWS_CO_TILES, conv2dRowsCo, type ConvRowsCoTile, readsDilated } from './conv2d-rows-co.js';
import { conv2dWinograd, WINOGRAD_TILES, type WinogradTile } from './conv2d-winograd.js';
import { conv2dWeightGradWinograd, WINOGRAD_WEIGHT_TILES } from './conv2d-weight-winograd.js';
import {
  conv2dWeightGradRows,
  WEIGHT_ROWS_TILES,
  type WeightRowsTile,
  weightRowsThreads,
} from './conv2d-weight-rows.js';
import { conv2dWeightGradCo, WEIGHT_CO_TILES, type WeightCoTile, weightCoThreads } from './conv2d-weight-co.js';
import {
  conv2dWeightGradUniform,
  WEIGHT_UNIFORM_TILES,
  type WeightUniformTile,
  weightUniformThreads,
} from './conv2d-weight-uniform.js';
import { conv2dGemmForward, conv2dGemmInputGrad, conv2dGemmWeightGrad, gemmWeightGradBlocks } from './conv2d-gemm.js';
import { TILED_GEMM_CONFIGS, type TiledGemmConfig } from './tiled-gemm.js';
import type { CandidateInfo } from '../kernel-class.js';
import { CONV_PARAMS, type Conv2dShape, convOutSize } from './window.js';
import { dilate } from './conv2d-dilate.js';
import type { WeightGradPass } from './conv2d-row-loads.js';

// The shared geometry lives in window.ts (the variant files import it from there, not from here).
export { type Conv2dShape, convOutSize } from './window.js';

/**
 * Register tile of one invocation: `tc` channels (output channels in the
 * forward, input channels in dInput) by `tp` consecutive pixels of one row.
 * The CPU adapters want large tiles (much work per invocation); `wg` is the
 * workgroup size.
 */
export interface ConvTile {
  tc: number;
  tp: number;
  wg: number;
}

export const CONV_TILES: readonly ConvTile[] = [
  { tc: 16, tp: 4, wg: 64 },
  { tc: 8, tp: 4, wg: 64 },
  { tc: 4, tp: 4, wg: 64 },
  { tc: 1, tp: 1, wg: 64 },
];

/**
 * A forward or input-gradient variant: the general direct kernel, the
 * stride-1 rows kernel (both register-only, CPU-shaped), or the
 * workgroup-memory tiled implicit GEMM (GPU-shaped, any geometry).
 */
export type ConvVariant = ({ kind: 'direct' } & ConvTile) | Stride1Variant | TiledGemmConfig;

/** The register-tiled variants that read the weight through strides (stride 1, except rows-co, which takes any). */
type Stride1Variant =
  | ({ kind: 'rows' } & ConvRowsTile)
  | ({ kind: 'rowsco' } & ConvRowsCoTile)
  | ({ kind: 'wino' } & WinogradTile);
const STRIDE1_KINDS: readonly string[] = ['rows', 'rowsco', 'wino'];
export const isStride1Variant = (v: ConvVariant): v is Stride1Variant => STRIDE1_KINDS.includes(v.kind);

/**
 * The stride-1 register kernels, the families alternating (a class times its
 * first few): Winograd first where the kernel is 3x3 and the reduction
 * (channels summed over) is long enough to amortize its transforms (the
 * first layer's 3 channels are not), then rows-co, rows.
 */
function strideOneVariants(s: Conv2dShape, reduction: number): ConvVariant[] {
  const wino =
    s.kh === 3 && s.kw === 3 && reduction >= 16 ? WINOGRAD_TILES.map((t) => ({ kind: 'wino' as const, ...t })) : [];
  const rows = CONV_ROWS_TILES.map((t) => ({ kind: 'rows' as const, ...t }));
  const co = CONV_ROWS_CO_TILES.map((t) => ({ kind: 'rowsco' as const, ...t }));
  const n = Math.max(wino.length, rows.length, co.length);
  const interleaved: (ConvVariant | undefined)[] = Array.from({ length: n }, (_, i) => [
    wino[i],
    co[i],
    rows[i],
  ]).flat();
  return interleaved.filter((v): v is ConvVariant => v !== undefined);
}

/**
 * Strided layers get the register kernels up to 3x3 (a ResNet's
 * downsampling): a strided tile's input window grows with stride x kernel,
 * and a 5x5 one unrolls past what any class compiles.
 */
const stridedRegister = (s: Conv2dShape) => s.kh * s.kw <= 9;

/**
 * The variants that can run a forward convolution of this geometry:
 * CPU-shaped, most promising first, then GPU-shaped. Strided layers get
 * the rows-co kernel, the one register kernel that takes strides.
 */
export function convForwardVariants(s: Conv2dShape): ConvVariant[] {
  const rows =
    s.sh === 1 && s.sw === 1
      ? strideOneVariants(s, s.ci)
      : stridedRegister(s)
        ? CONV_ROWS_CO_TILES.map((t) => ({ kind: 'rowsco' as const, ...t }))
        : [];
  return [...rows, ...CONV_TILES.map((t) => ({ kind: 'direct' as const, ...t })), ...TILED_GEMM_CONFIGS];
}

/** Likewise for the input gradient (the rows kernels need padding <= kernel - 1). */
export function convInputGradVariants(s: Conv2dShape): ConvVariant[] {
  // Strided layers run the stride-1 kernels on the dilated output gradient (conv2d-dilate.ts).
  const ok = s.ph <= s.kh - 1 && s.pw <= s.kw - 1;
  const rows = ok ? strideOneVariants({ ...s, sh: 1, sw: 1 }, s.co) : [];
  return [...rows, ...CONV_TILES.map((t) => ({ kind: 'direct' as const, ...t })), ...TILED_GEMM_CONFIGS];
}

/** Runs a stride-1 pass with one of the two rows kernels. */
function rowsPass(
  ctx: GpuContext,
  x: BufferBinding,
  w: BufferBinding,
  bias: BufferBinding | null,
  y: BufferBinding,
  g: ConvRowsGeometry,
  v: ConvVariant,
  label: string,
): void {
  if (v.kind !== 'rowsco' && (g.sh ?? 1) * (g.sw ?? 1) !== 1)
    throw new Error(`${label}: the ${v.kind} variant needs stride 1`);
  if (v.kind === 'rowsco') conv2dRowsCo(ctx, x, w, bias, y, g, v, label);
  else if (v.kind === 'wino') conv2dWinograd(ctx, x, w, bias, y, g, v, label);
  else conv2dRows(ctx, x, w, bias, y, g, v as ConvRowsTile, label);
}

/**
 * What the candidate filter needs of a conv variant: whether it is tiled,
 * and how many FMA statements its generated loop body unrolls (the rows
 * kernels unroll every tap; the direct and tiled ones loop over taps).
 */
export function convVariantInfo(
  v: ConvVariant | WeightGradVariant,
  s: Conv2dShape,
  pass: 'forward' | 'weight',
): CandidateInfo {
  if (v.kind === 'tiled') return { tiled: true, unroll: (v.tm * v.tn) / 4 };
  if (v.kind === 'wino') return { tiled: false, unroll: (v.tt * v.tco) / 4 };
  if (pass === 'weight') {
    const t = v as { tco: number; r?: number };
    const unroll =
      v.kind === 'uniform'
        ? t.tco * s.kh * s.kw * t.r!
        : v.kind === 'rows' || v.kind === 'wco'
          ? t.tco * s.kh * s.kw
          : t.tco * s.kw;
    return { tiled: false, unroll };
  }
  if (v.kind === 'rows' || v.kind === 'rowsco') {
    const t = v as ConvRowsTile;
    return { tiled: false, unroll: t.r * t.tco * s.kh * s.kw };
  }
  const t = v as ConvTile;
  return { tiled: false, unroll: t.tc * t.tp };
}

const GEOMETRY = [...CONV_PARAMS, ['tilesX', 'u32']] as const;

function geometry(s: Conv2dShape, tp: number, alongOutput: boolean) {
  const { oh, ow } = convOutSize(s);
  return {
    ...s,
    oh,
    ow,
    tilesX: Math.ceil((alongOutput ? ow : s.w) / tp),
  };
}

/** y[n, co, oy, ox] = b[co] + Σ x[n, ci, oy*sh-ph+ky, ox*sw-pw+kx] · w[co, ci, ky, kx] */
function forwardKernel(t: ConvTile) {
  const { tc, tp, wg } = t;
  const acc = range(tc).flatMap((c) => range(tp).map((j) => `var a${c}_${j} = 0.0;`));
  const loadX = range(tp).map(
    (j) =>
      `let ix${j} = i32((ox0 + ${j}u) * p.sw + kx) - i32(p.pw);
        let x${j} = select(0.0, X[xrow + u32(clamp(ix${j}, 0, i32(p.w) - 1))], ${allOf(`ix${j} >= 0`, `ix${j} < i32(p.w)`)});`,
  );
  const loadW = range(tc).map((c) => `let w${c} = Wt[wbase + min(co0 + ${c}u, p.co - 1u) * wco];`);
  const fma = range(tc).flatMap((c) => range(tp).map((j) => `a${c}_${j} = fma(w${c}, x${j}, a${c}_${j});`));
  const store = range(tc).flatMap((c) =>
    range(tp).map(
      (j) =>
        `if ${allOf(`co0 + ${c}u < p.co`, `ox0 + ${j}u < p.ow`)} { Y[((n * p.co + co0 + ${c}u) * p.oh + oy) * p.ow + ox0 + ${j}u] = a${c}_${j} + select(0.0, Bias[co0 + ${c}u], p.hasBias != 0u); }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_forward',
    config: { ...t },
    bindings: [input('X'), input('Wt'), input('Bias'), output('Y')],
    params: [...GEOMETRY, ['hasBias', 'u32']],
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // x: pixel tiles of one output plane; y: output-channel blocks (uniform in
  // the workgroup, so weight loads are shared); z: batch.
  let tile = wid.x * ${wg}u + lid;
  if (tile >= p.oh * p.tilesX) { return; }
  let oy = tile / p.tilesX;
  let ox0 = (tile % p.tilesX) * ${tp}u;
  let co0 = wid.y * ${tc}u;
  let n = wid.z;
  let wco = p.ci * p.kh * p.kw;
  ${acc.join('\n  ')}
  for (var ci = 0u; ci < p.ci; ci++) {
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      let xrow = ((n * p.ci + ci) * p.h + u32(iy)) * p.w;
      for (var kx = 0u; kx < p.kw; kx++) {
        let wbase = (ci * p.kh + ky) * p.kw + kx;
        ${loadX.join('\n        ')}
        ${loadW.join('\n        ')}
        ${fma.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`,
  });
}

/** dx[n, ci, iy, ix] = Σ dy[n, co, oy, ox] · w[co, ci, ky, kx] over oy*sh-ph+ky = iy, ox*sw-pw+kx = ix. */
function inputGradKernel(t: ConvTile) {
  const { tc, tp, wg } = t;
  const acc = range(tc).flatMap((c) => range(tp).map((j) => `var a${c}_${j} = 0.0;`));
  const loadG = range(tp).map(
    (j) =>
      `let tx${j} = i32(ix0 + ${j}u + p.pw) - i32(kx);
        let ox${j} = u32(max(tx${j}, 0)) / p.sw;
        let g${j} = select(0.0, G[grow + min(ox${j}, p.ow - 1u)], ${allOf(`tx${j} >= 0`, `u32(tx${j}) % p.sw == 0u`, `ox${j} < p.ow`)});`,
  );
  const loadW = range(tc).map((c) => `let w${c} = Wt[wbase + min(ci0 + ${c}u, p.ci - 1u) * p.kh * p.kw];`);
  const fma = range(tc).flatMap((c) => range(tp).map((j) => `a${c}_${j} = fma(w${c}, g${j}, a${c}_${j});`));
  const store = range(tc).flatMap((c) =>
    range(tp).map(
      (j) =>
        `if ${allOf(`ci0 + ${c}u < p.ci`, `ix0 + ${j}u < p.w`)} { DX[((n * p.ci + ci0 + ${c}u) * p.h + iy) * p.w + ix0 + ${j}u] = a${c}_${j}; }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_input_grad',
    config: { ...t },
    bindings: [input('G'), input('Wt'), output('DX')],
    params: GEOMETRY,
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tile = wid.x * ${wg}u + lid;
  if (tile >= p.h * p.tilesX) { return; }
  let iy = tile / p.tilesX;
  let ix0 = (tile % p.tilesX) * ${tp}u;
  let ci0 = wid.y * ${tc}u;
  let n = wid.z;
  ${acc.join('\n  ')}
  for (var co = 0u; co < p.co; co++) {
    for (var ky = 0u; ky < p.kh; ky++) {
      let ty = i32(iy + p.ph) - i32(ky);
      if (ty < 0 || u32(ty) % p.sh != 0u) { continue; }
      let oy = u32(ty) / p.sh;
      if (oy >= p.oh) { continue; }
      let grow = ((n * p.co + co) * p.oh + oy) * p.ow;
      for (var kx = 0u; kx < p.kw; kx++) {
        let wbase = ((co * p.ci) * p.kh + ky) * p.kw + kx;
        ${loadG.join('\n        ')}
        ${loadW.join('\n        ')}
        ${fma.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`,
  });
}

/**
 * dw[co, ci, ky, kx] = Σ_{n, oy, ox} dy[n, co, oy, ox] · x[n, ci, oy*sh-ph+ky, ox*sw-pw+kx].
 * One invocation: `tco` output channels x one input channel x one kernel row
 * (all `kw` taps). The batch is split into `splits` chunks written to
 * separate partial buffers (summed afterwards) so small layers still spread
 * over many invocations.
 */
export interface WeightGradTile {
  tco: number;
  wg: number;
}

export const WEIGHT_GRAD_TILES: readonly WeightGradTile[] = [
  { tco: 8, wg: 64 },
  { tco: 4, wg: 64 },
  { tco: 1, wg: 64 },
];

/**
 * A weight-gradient variant: the general kernel, the stride-1 rows kernel
 * (lanes over channel pairs), the stride-1 uniform kernel (lanes over input
 * channels, dy uniform), or the tiled implicit GEMM.
 */
export type WeightGradVariant =
  | ({ kind: 'direct' } & WeightGradTile)
  | ({ kind: 'rows' } & WeightRowsTile)
  | ({ kind: 'uniform' } & WeightUniformTile)
  | ({ kind: 'wco' } & WeightCoTile)
  | ({ kind: 'wino' } & WinogradTile)
  | TiledGemmConfig;

export function weightGradVariants(s: Conv2dShape): WeightGradVariant[] {
  const stride1 = s.sh === 1 && s.sw === 1;
  const uniform = stride1 ? WEIGHT_UNIFORM_TILES.map((t) => ({ kind: 'uniform' as const, ...t })) : [];
  const rows = stride1 ? WEIGHT_ROWS_TILES.map((t) => ({ kind: 'rows' as const, ...t })) : [];
  // The two stride-1 families alternate, so a class timing its first few
  // candidates times the best of each (they are within a few % of each other).
  const both = rows.flatMap((r, i) => (uniform[i] ? [r, uniform[i]!] : [r]));
  // The channels-in-lanes kernel also takes strides.
  const co = stride1 || stridedRegister(s) ? WEIGHT_CO_TILES.map((t) => ({ kind: 'wco' as const, ...t })) : [];
  // Winograd's lanes run over input channels padded to a block: only blocks the channels fill.
  const wino =
    stride1 && s.kh === 3 && s.kw === 3
      ? WINOGRAD_WEIGHT_TILES.filter((t) => t.wg * t.tt <= s.ci).map((t) => ({ kind: 'wino' as const, ...t }))
      : [];
  return [
    ...wino.slice(0, 1),
    ...co.slice(0, 1),
    ...wino.slice(1),
    ...both,
    ...co.slice(1),
    ...WEIGHT_GRAD_TILES.map((t) => ({ kind: 'direct' as const, ...t })),
    ...TILED_GEMM_CONFIGS,
  ];
}

function weightGradKernel(t: WeightGradTile, kw: number) {
  const { tco, wg } = t;
  const acc = range(tco).flatMap((c) => range(kw).map((k) => `var a${c}_${k} = 0.0;`));
  const loadG = range(tco).map((c) => `let g${c} = G[gbase + min(co0 + ${c}u, p.co - 1u) * gco];`);
  const loadX = range(kw).map(
    (k) =>
      `let ix${k} = i32(ox * p.sw + ${k}u) - i32(p.pw);
          let x${k} = select(0.0, X[xrow + u32(clamp(ix${k}, 0, i32(p.w) - 1))], ${allOf(`ix${k} >= 0`, `ix${k} < i32(p.w)`)});`,
  );
  const fma = range(tco).flatMap((c) => range(kw).map((k) => `a${c}_${k} = fma(g${c}, x${k}, a${c}_${k});`));
  const store = range(tco).flatMap((c) =>
    range(kw).map(
      (k) =>
        `if (co0 + ${c}u < p.co) { DW[split * wsize + (((co0 + ${c}u) * p.ci + ci) * p.kh + ky) * p.kw + ${k}u] = a${c}_${k}; }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_weight_grad',
    config: { ...t, kw },
    bindings: [input('X'), input('G'), output('DW')],
    params: [...GEOMETRY, ['splits', 'u32'], ['perSplit', 'u32'], ['threads', 'u32']],
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * ${wg}u + lid;
  if (t >= p.threads) { return; }
  // t enumerates (split, co block, ci, ky).
  let coBlocks = (p.co + ${tco - 1}u) / ${tco}u;
  let ky = t % p.kh;
  let ci = (t / p.kh) % p.ci;
  let co0 = ((t / (p.kh * p.ci)) % coBlocks) * ${tco}u;
  let split = t / (p.kh * p.ci * coBlocks);
  let n0 = split * p.perSplit;
  let n1 = min(n0 + p.perSplit, p.n);
  let wsize = p.co * p.ci * p.kh * p.kw;
  let gco = p.oh * p.ow;
  ${acc.join('\n  ')}
  for (var n = n0; n < n1; n++) {
    for (var oy = 0u; oy < p.oh; oy++) {
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      let xrow = ((n * p.ci + ci) * p.h + u32(iy)) * p.w;
      for (var ox = 0u; ox < p.ow; ox++) {
        let gbase = n * p.co * gco + oy * p.ow + ox;
        ${loadG.join('\n        ')}
        ${loadX.join('\n        ')}
        ${fma.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`,
  });
}

function checkConv(op: string, s: Conv2dShape): void {
  const { oh, ow } = convOutSize(s);
  if (oh <= 0 || ow <= 0) {
    throw new Error(
      `${op}: input ${s.h}x${s.w} with padding (${s.ph}, ${s.pw}) is smaller than the ${s.kh}x${s.kw} kernel`,
    );
  }
}

const label = (op: string, s: Conv2dShape) =>
  `${op} [${s.n},${s.ci},${s.h},${s.w}] * [${s.co},${s.ci},${s.kh},${s.kw}] s${s.sh}x${s.sw} p${s.ph}x${s.pw}`;

/** Forward convolution into y [n, co, oh, ow]. `bias` may be null. */
export function conv2dForward(
  ctx: GpuContext,
  x: BufferBinding,
  w: BufferBinding,
  bias: BufferBinding | null,
  y: BufferBinding,
  s: Conv2dShape,
  variant: ConvVariant = convForwardVariants(s)[0]!,
): void {
  checkConv('conv2d', s);
  if (variant.kind === 'tiled') {
    const { oh, ow } = convOutSize(s);
    conv2dGemmForward(ctx, x, w, bias, y, s, oh, ow, variant, label('conv2d', s));
    return;
  }
  if (isStride1Variant(variant)) {
    // rowsPass refuses strides for the kernels that do not take them.
    const { oh, ow } = convOutSize(s);
    const k = s.kh * s.kw;
    rowsPass(
      ctx,
      x,
      w,
      bias,
      y,
      { ...s, oh, ow, wBase: 0, wO: s.ci * k, wI: k, wKy: s.kw, wKx: 1 },
      variant,
      label('conv2d', s),
    );
    return;
  }
  const tile = variant;
  const g = geometry(s, tile.tp, true);
  ctx.dispatch(
    forwardKernel(tile),
    [x, w, bias ?? w, y],
    { ...g, hasBias: bias ? 1 : 0 },
    [Math.ceil((g.oh * g.tilesX) / tile.wg), Math.ceil(s.co / tile.tc), s.n],
    label('conv2d', s),
  );
}

/** Gradient with respect to the input, into dx [n, ci, h, w]. */
export function conv2dInputGrad(
  ctx: GpuContext,
  dy: BufferBinding,
  w: BufferBinding,
  dx: BufferBinding,
  s: Conv2dShape,
  variant: ConvVariant = convInputGradVariants(s)[0]!,
): void {
  checkConv('conv2d backward (input)', s);
  if (variant.kind === 'tiled') {
    const { oh, ow } = convOutSize(s);
    conv2dGemmInputGrad(ctx, dy, w, dx, s, oh, ow, variant, label('conv2d backward (input)', s));
    return;
  }
  if (isStride1Variant(variant)) {
    if (!convInputGradVariants(s).some((v) => v.kind === 'rows')) {
      throw new Error(`${label('conv2d backward (input)', s)}: the ${variant.kind} variant needs padding < kernel`);
    }
    const k = s.kh * s.kw;
    const { oh, ow } = convOutSize(s);
    // dx = conv(dy, w flipped with in/out swapped, padding k - 1 - p), dy spread by the stride.
    const flipped = {
      n: s.n,
      ci: s.co,
      co: s.ci,
      oh: s.h,
      ow: s.w,
      kh: s.kh,
      kw: s.kw,
      ph: s.kh - 1 - s.ph,
      pw: s.kw - 1 - s.pw,
      wBase: k - 1,
      wO: k,
      wI: s.ci * k,
      wKy: -s.kw,
      wKx: -1,
    };
    const up = { uh: s.sh, uw: s.sw, qh: flipped.ph, qw: flipped.pw };
    if ((s.sh > 1 || s.sw > 1) && variant.kind === 'rowsco' && readsDilated(variant.r, up)) {
      // The rows-co kernel reads the spread gradient without materializing its zeros.
      rowsPass(ctx, dy, w, null, dx, { ...flipped, h: oh, w: ow, up }, variant, label('conv2d backward (input)', s));
      return;
    }
    if (s.sh > 1 || s.sw > 1) {
      const unit = { ...s, sh: 1, sw: 1 };
      const d = convOutSize(unit);
      const spread = ctx.alloc(s.n * s.co * d.oh * d.ow * 4, 'dilated output gradient');
      dilate(ctx, dy, spread, { planes: s.n * s.co, oh, ow, sh: s.sh, sw: s.sw, dh: d.oh, dw: d.ow });
      conv2dInputGrad(ctx, spread, w, dx, unit, variant);
      ctx.free(spread);
      return;
    }
    rowsPass(ctx, dy, w, null, dx, { ...flipped, h: oh, w: ow }, variant, label('conv2d backward (input)', s));
    return;
  }
  const tile = variant;
  const g = geometry(s, tile.tp, false);
  ctx.dispatch(
    inputGradKernel(tile),
    [dy, w, dx],
    g,
    [Math.ceil((s.h * g.tilesX) / tile.wg), Math.ceil(s.ci / tile.tc), s.n],
    label('conv2d backward (input)', s),
  );
}

/**
 * How many chunks the weight gradient splits into (batch chunks for the
 * register kernels, chunks of n·oh·ow for the tiled GEMM): enough
 * invocations to occupy the device, no more (each split adds a partial
 * buffer to sum).
 */
export function weightGradSplits(s: Conv2dShape, v: WeightGradVariant, targetThreads: number): number {
  // Winograd splits its reduction itself (and sums the parts in its last pass).
  if (v.kind === 'wino') return 1;
  if (v.kind === 'tiled') {
    const { oh, ow } = convOutSize(s);
    const perBlock = (v.bm / v.tm) * (v.bn / v.tn);
    // Each chunk keeps at least 8 slices of K so the tiles stay busy.
    const maxSplits = Math.max(1, Math.floor((s.n * oh * ow) / (8 * v.bk)));
    return Math.max(1, Math.min(maxSplits, Math.ceil(targetThreads / (gemmWeightGradBlocks(s, v) * perBlock))));
  }
  const base =
    v.kind === 'rows'
      ? weightRowsThreads(s, v)
      : v.kind === 'uniform'
        ? weightUniformThreads(s, v)
        : v.kind === 'wco'
          ? weightCoThreads(s, v)
          : Math.ceil(s.co / v.tco) * s.ci * s.kh;
  return Math.max(1, Math.min(s.n, Math.ceil(targetThreads / base)));
}

/**
 * Gradient with respect to the weight: writes `splits` partial gradients
 * [splits, co, ci, kh, kw] into `partial` (the caller sums them; with one
 * split `partial` is the gradient itself).
 */
export function conv2dWeightGrad(
  ctx: GpuContext,
  x: BufferBinding,
  dy: BufferBinding,
  partial: BufferBinding,
  s: Conv2dShape,
  splits: number,
  variant: WeightGradVariant = weightGradVariants(s)[0]!,
): void {
  checkConv('conv2d backward (weight)', s);
  const name = label('conv2d backward (weight)', s);
  if (variant.kind === 'tiled') {
    const { oh, ow } = convOutSize(s);
    conv2dGemmWeightGrad(ctx, x, dy, partial, s, oh, ow, splits, variant, name);
  } else {
    (WEIGHT_GRAD_PASSES[variant.kind] as WeightGradPass<typeof variant>)(ctx, x, dy, partial, s, splits, variant, name);
  }
}

/** The direct weight-gradient kernel: one invocation per (split, co block, ci, ky). */
const conv2dWeightGradDirect: WeightGradPass<WeightGradTile> = (ctx, x, dy, partial, s, splits, tile, name) => {
  const g = geometry(s, 1, true);
  const perSplit = Math.ceil(s.n / splits);
  const threads = splits * Math.ceil(s.co / tile.tco) * s.ci * s.kh;
  ctx.dispatch(
    weightGradKernel(tile, s.kw),
    [x, dy, partial],
    { ...g, splits, perSplit, threads },
    Math.ceil(threads / tile.wg),
    name,
  );
};

/** The weight-gradient pass of each variant kind but the tiled GEMM (which also takes the output size). */
const WEIGHT_GRAD_PASSES: {
  [K in Exclude<WeightGradVariant['kind'], 'tiled'>]: WeightGradPass<Extract<WeightGradVariant, { kind: K }>>;
} = {
  direct: conv2dWeightGradDirect,
  rows: conv2dWeightGradRows,
  uniform: conv2dWeightGradUniform,
  wco: conv2dWeightGradCo,
  wino: conv2dWeightGradWinograd,
};
