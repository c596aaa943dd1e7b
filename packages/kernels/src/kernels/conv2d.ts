import type { BufferBinding, GpuContext } from '../context.js';
import { ROWS_FAMILY } from './conv2d-rows.js';
import { ROWS_CO_FAMILY } from './conv2d-rows-co.js';
import { WINOGRAD_FAMILY } from './conv2d-winograd.js';
import { WINOGRAD4_FAMILY } from './conv2d-winograd4.js';
import { WEIGHT_WINOGRAD_FAMILY } from './conv2d-weight-winograd.js';
import { WEIGHT_WINOGRAD4_FAMILY } from './conv2d-weight-winograd4.js';
import { WEIGHT_ROWS_FAMILY } from './conv2d-weight-rows.js';
import { WEIGHT_CO_FAMILY } from './conv2d-weight-co.js';
import { WEIGHT_UNIFORM_FAMILY } from './conv2d-weight-uniform.js';
import type { RowsFamily, WeightGradFamily } from './conv2d-family.js';
import type { Stride1Pass } from './conv2d-row-loads.js';
import { conv2dGemmForward, conv2dGemmInputGrad, conv2dGemmWeightGrad, gemmWeightGradBlocks } from './conv2d-gemm.js';
import { TILED_GEMM_CONFIGS, type TiledGemmConfig } from './tiled-gemm.js';
import type { CandidateInfo } from '../kernel-class.js';
import { type Conv2dShape, convOutSize } from './window.js';
import {
  CONV_TILES,
  type ConvTile,
  conv2dForwardDirect,
  conv2dInputGradDirect,
  WEIGHT_DIRECT_FAMILY,
} from './conv2d-direct.js';
import { dilate } from './conv2d-dilate.js';

// The shared geometry lives in window.ts (the variant files import it from there, not from here).
export { type Conv2dShape, convOutSize } from './window.js';
export { CONV_TILES, type ConvTile, WEIGHT_GRAD_TILES, type WeightGradTile } from './conv2d-direct.js';

/**
 * A forward or input-gradient variant: the general direct kernel, the
 * stride-1 rows kernel (both register-only, CPU-shaped), or the
 * workgroup-memory tiled implicit GEMM (GPU-shaped, any geometry).
 */
export type ConvVariant = ({ kind: 'direct' } & ConvTile) | Stride1Variant | TiledGemmConfig;

/**
 * The register-tiled families that address the weight through strides
 * (forward, and the input gradient through the flipped weight), one line
 * each, in candidate order.
 */
export const ROWS_FAMILIES = [WINOGRAD_FAMILY, ROWS_CO_FAMILY, WINOGRAD4_FAMILY, ROWS_FAMILY] as const;
type RowsVariantOf<F> = F extends RowsFamily<infer K, infer T> ? { kind: K } & T : never;
type Stride1Variant = RowsVariantOf<(typeof ROWS_FAMILIES)[number]>;
const rowsFamily = (kind: string) =>
  ROWS_FAMILIES.find((f) => f.kind === kind) as unknown as RowsFamily<string, Stride1Variant> | undefined;
export const isStride1Variant = (v: ConvVariant): v is Stride1Variant => rowsFamily(v.kind) !== undefined;

/** The kinds that run the Winograd GEMM (forward, input gradient and weight gradient alike). */
const WINOGRAD_KINDS: readonly string[] = [WINOGRAD_FAMILY.kind, WINOGRAD4_FAMILY.kind];

/**
 * A variant with the kernel class's reduction chain (ClassPolicy.reductionChain)
 * where it runs the Winograd GEMM; any other variant as it is.
 */
export function withReductionChain<V extends { kind: string }>(v: V, kc: number): V {
  return kc > 1 && WINOGRAD_KINDS.includes(v.kind) ? { ...v, kc } : v;
}

/** The forward and input-gradient kinds the CPU classes time before the general kernel. */
export const PREFERRED_CONV_KINDS: readonly string[] = ROWS_FAMILIES.filter((f) => f.preferred).map((f) => f.kind);

/**
 * The families' tiles that pass `ok` and fit geometry s, as variants, the
 * families alternating tile by tile (a class times its first few).
 */
function rowsVariants(s: Conv2dShape, ok: (f: (typeof ROWS_FAMILIES)[number]) => boolean): ConvVariant[] {
  const lists = ROWS_FAMILIES.filter(ok).map((f) => {
    const family = f as unknown as RowsFamily<string, object>;
    return family.tiles.filter((t) => family.fits?.(s, t) ?? true).map((t) => ({ kind: f.kind, ...t }) as ConvVariant);
  });
  const longest = Math.max(0, ...lists.map((l) => l.length));
  const out: ConvVariant[] = [];
  for (let i = 0; i < longest; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
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
      ? rowsVariants(s, (f) => f.applies(s, s.ci))
      : stridedRegister(s)
        ? rowsVariants(s, (f) => f.strided && f.applies(s, s.ci))
        : [];
  return [...rows, ...CONV_TILES.map((t) => ({ kind: 'direct' as const, ...t })), ...TILED_GEMM_CONFIGS];
}

/** Likewise for the input gradient (the rows kernels need padding <= kernel - 1). */
export function convInputGradVariants(s: Conv2dShape): ConvVariant[] {
  // Strided layers run the stride-1 kernels on the dilated output gradient (conv2d-dilate.ts).
  const ok = s.ph <= s.kh - 1 && s.pw <= s.kw - 1;
  const unit = { ...s, sh: 1, sw: 1 };
  const rows = ok ? rowsVariants(unit, (f) => f.applies(unit, s.co)) : [];
  return [...rows, ...CONV_TILES.map((t) => ({ kind: 'direct' as const, ...t })), ...TILED_GEMM_CONFIGS];
}

/** Runs a pass with the variant's family (refusing strides where the family takes none). */
const rowsPass: Stride1Pass<ConvVariant> = (ctx, x, w, bias, y, g, v, label) => {
  const f = rowsFamily(v.kind)!;
  if (!f.strided && (g.sh ?? 1) * (g.sw ?? 1) !== 1) throw new Error(`${label}: the ${v.kind} variant needs stride 1`);
  f.run(ctx, x, w, bias, y, g, v as Stride1Variant, label);
};

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
  if (pass === 'weight') {
    const w = v as RegisterWeightVariant;
    return { tiled: false, unroll: weightFamily(w.kind).unroll(w, s) };
  }
  const f = rowsFamily(v.kind);
  if (f) return { tiled: false, unroll: f.unroll(v as Stride1Variant, s) };
  const t = v as ConvTile;
  return { tiled: false, unroll: t.tc * t.tp };
}

/**
 * The weight-gradient families (register-tiled; the tiled GEMM is the
 * GPU-shaped one beside them): one line each. Their candidate order is
 * weightGradVariants'.
 */
export const WEIGHT_GRAD_FAMILIES = [
  WEIGHT_WINOGRAD4_FAMILY,
  WEIGHT_WINOGRAD_FAMILY,
  WEIGHT_CO_FAMILY,
  WEIGHT_ROWS_FAMILY,
  WEIGHT_UNIFORM_FAMILY,
  WEIGHT_DIRECT_FAMILY,
] as const;
type Family = (typeof WEIGHT_GRAD_FAMILIES)[number];
type VariantOf<F> = F extends WeightGradFamily<infer K, infer T> ? { kind: K } & T : never;

/** A weight-gradient variant: a family's kind and one of its tiles, or a tiled-GEMM configuration. */
export type WeightGradVariant = VariantOf<Family> | TiledGemmConfig;
type RegisterWeightVariant = Exclude<WeightGradVariant, TiledGemmConfig>;

const weightFamily = (kind: RegisterWeightVariant['kind']) =>
  WEIGHT_GRAD_FAMILIES.find((f) => f.kind === kind)! as unknown as WeightGradFamily<string, RegisterWeightVariant>;

/** The weight-gradient kinds the CPU classes time before the general kernel. */
export const PREFERRED_WEIGHT_KINDS: readonly string[] = WEIGHT_GRAD_FAMILIES.filter((f) => f.preferred).map(
  (f) => f.kind,
);

/** A family's tiles that can compute geometry s, as variants. */
function familyVariants<K extends string, T extends object>(f: WeightGradFamily<K, T>, s: Conv2dShape) {
  return f.tiles.filter((t) => f.applies(s, t)).map((t) => ({ kind: f.kind, ...t }));
}

/**
 * Every weight-gradient variant of geometry s, most promising first (a class
 * times its first few): F(4x4) Winograd's two best tiles, channels-in-lanes'
 * best, F(2x2) Winograd's, the rest of both Winograds', the rows and uniform
 * kernels alternating (within a few % of each other, so a class timing a
 * few times the best of each), the other channels-in-lanes tiles, the direct
 * kernel, the tiled GEMM. On llvmpipe (blog CNN, batch 32) F(4x4)'s tiles
 * ran 1.5-1.7x faster than F(2x2)'s same tiles on every layer with 64+
 * input channels (npm run bench -- --variants --only dW).
 */
export function weightGradVariants(s: Conv2dShape): WeightGradVariant[] {
  const wino4 = familyVariants(WEIGHT_WINOGRAD4_FAMILY, s);
  const wino = familyVariants(WEIGHT_WINOGRAD_FAMILY, s);
  const co = familyVariants(WEIGHT_CO_FAMILY, s);
  const uniform = familyVariants(WEIGHT_UNIFORM_FAMILY, s);
  const rows = familyVariants(WEIGHT_ROWS_FAMILY, s).flatMap((r, i) => (uniform[i] ? [r, uniform[i]!] : [r]));
  return [
    ...wino4.slice(0, 2),
    ...co.slice(0, 1),
    ...wino.slice(0, 1),
    ...wino4.slice(2),
    ...wino.slice(1),
    ...rows,
    ...co.slice(1),
    ...familyVariants(WEIGHT_DIRECT_FAMILY, s),
    ...TILED_GEMM_CONFIGS,
  ];
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
  conv2dForwardDirect(ctx, x, w, bias, y, s, variant, label('conv2d', s));
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
    if ((s.sh > 1 || s.sw > 1) && rowsFamily(variant.kind)!.readsDilated?.(variant, up)) {
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
  conv2dInputGradDirect(ctx, dy, w, dx, s, variant, label('conv2d backward (input)', s));
}

/**
 * How many chunks the weight gradient splits into (batch chunks for the
 * register kernels, chunks of n·oh·ow for the tiled GEMM): enough
 * invocations to occupy the device, no more (each split adds a partial
 * buffer to sum).
 */
export function weightGradSplits(s: Conv2dShape, v: WeightGradVariant, targetThreads: number): number {
  if (v.kind === 'tiled') {
    const { oh, ow } = convOutSize(s);
    const perBlock = (v.bm / v.tm) * (v.bn / v.tn);
    // Each chunk keeps at least 8 slices of K so the tiles stay busy.
    const maxSplits = Math.max(1, Math.floor((s.n * oh * ow) / (8 * v.bk)));
    return Math.max(1, Math.min(maxSplits, Math.ceil(targetThreads / (gemmWeightGradBlocks(s, v) * perBlock))));
  }
  // Winograd splits its reduction itself (and sums the parts in its last pass).
  const threads = weightFamily(v.kind).threads;
  if (!threads) return 1;
  const base = threads(s, v);
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
    weightFamily(variant.kind).run(ctx, x, dy, partial, s, splits, variant, name);
  }
}
