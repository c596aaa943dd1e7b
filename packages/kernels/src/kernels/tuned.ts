/**
 * Tuned variant choice for the ops whose best kernel depends on the shape
 * and the adapter. Each builds the timing bench on scratch buffers of the
 * real sizes (values do not matter for timing).
 */
import type { GpuContext } from '../context.js';
import type { TuneBench } from '../tuner.js';
import {
  type Conv2dShape,
  conv2dForward,
  conv2dInputGrad,
  conv2dWeightGrad,
  convForwardVariants,
  convInputGradVariants,
  convOutSize,
  type ConvVariant,
  convVariantInfo,
  type WeightGradVariant,
  weightGradSplits,
  weightGradVariants,
  PREFERRED_WEIGHT_KINDS,
  PREFERRED_CONV_KINDS,
  withReductionChain,
} from './conv2d.js';
import {
  defaultMatmulConfig,
  matmul,
  matmulConfigsFor,
  type MatmulConfig,
  type MatmulShape,
  matmulVariantInfo,
} from './matmul.js';
import { type TiledGemmConfig, tiledFits } from './tiled-gemm.js';
import { type CandidateInfo, classCandidates } from '../kernel-class.js';
import { reduce } from './reduce.js';

/**
 * The variants the context's kernel class times (kernel-class.ts). On CPU
 * classes the general kernels never beat the CPU-shaped ones where those
 * apply (see benchmarks/), so only the first few of those are timed and
 * tuning costs seconds, not minutes, on first use. Tiled variants must fit
 * the device's workgroup limits.
 */
function candidates<V extends { kind: string }>(
  ctx: GpuContext,
  all: V[],
  info: (v: V) => CandidateInfo,
  preferred: readonly string[],
): V[] {
  const fitting = all
    .filter((v) => v.kind !== 'tiled' || tiledFits(v as unknown as TiledGemmConfig, ctx.limits))
    .map((v) => withReductionChain(v, ctx.policy.reductionChain));
  return classCandidates(ctx.policy, fitting, info, (v) => preferred.includes(v.kind));
}

/** The candidates for each op, as the tuner sees them (also for benchmarks and reports). */
export const convForwardCandidates = (ctx: GpuContext, s: Conv2dShape) =>
  candidates(ctx, convForwardVariants(s), (v) => convVariantInfo(v, s, 'forward'), PREFERRED_CONV_KINDS);
export const convInputGradCandidates = (ctx: GpuContext, s: Conv2dShape) =>
  candidates(ctx, convInputGradVariants(s), (v) => convVariantInfo(v, s, 'forward'), PREFERRED_CONV_KINDS);
export const convWeightGradCandidates = (ctx: GpuContext, s: Conv2dShape) =>
  candidates(ctx, weightGradVariants(s), (v) => convVariantInfo(v, s, 'weight'), PREFERRED_WEIGHT_KINDS);
export const matmulCandidates = (ctx: GpuContext, s: MatmulShape) =>
  candidates(ctx, matmulConfigsFor(s), matmulVariantInfo, ['vec4']);

function scratch(ctx: GpuContext, ...elements: number[]): { bufs: GPUBuffer[]; dispose: () => void } {
  const bufs = elements.map((n) => ctx.alloc(Math.max(16, n * 4), 'tuning scratch'));
  return { bufs, dispose: () => bufs.forEach((b) => ctx.free(b)) };
}

/**
 * Batch-like dimensions enter the tuning key rounded up to a power of two:
 * the best variant barely changes between nearby sizes, and a last partial
 * batch should not trigger a new round of timing.
 */
export const sizeClass = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

const convKey = (s: Conv2dShape) =>
  `${sizeClass(s.n)},${s.ci},${s.h},${s.w},${s.co},${s.kh},${s.kw},${s.sh},${s.sw},${s.ph},${s.pw}`;

export function pickConvForward(ctx: GpuContext, s: Conv2dShape): ConvVariant {
  return ctx.tuner.pick('conv2d', convKey(s), convForwardCandidates(ctx, s), (): TuneBench<ConvVariant> => {
    const { oh, ow } = convOutSize(s);
    const sc = scratch(ctx, s.n * s.ci * s.h * s.w, s.co * s.ci * s.kh * s.kw, s.co, s.n * s.co * oh * ow);
    const [x, w, b, y] = sc.bufs as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    return { run: (v) => conv2dForward(ctx, x, w, b, y, s, v), dispose: sc.dispose };
  });
}

export function pickConvInputGrad(ctx: GpuContext, s: Conv2dShape): ConvVariant {
  return ctx.tuner.pick('conv2d.dinput', convKey(s), convInputGradCandidates(ctx, s), (): TuneBench<ConvVariant> => {
    const { oh, ow } = convOutSize(s);
    const sc = scratch(ctx, s.n * s.co * oh * ow, s.co * s.ci * s.kh * s.kw, s.n * s.ci * s.h * s.w);
    const [dy, w, dx] = sc.bufs as [GPUBuffer, GPUBuffer, GPUBuffer];
    return { run: (v) => conv2dInputGrad(ctx, dy, w, dx, s, v), dispose: sc.dispose };
  });
}

/**
 * The weight gradient into `dw`, with the tuned tile and batch split (the
 * partial gradients of a split are summed by one reduce).
 */
export function convWeightGrad(
  ctx: GpuContext,
  x: GPUBuffer,
  dy: GPUBuffer,
  dw: GPUBuffer,
  s: Conv2dShape,
  tile: WeightGradVariant,
): void {
  const size = s.co * s.ci * s.kh * s.kw;
  const splits = weightGradSplits(s, tile, ctx.policy.targetThreads);
  if (splits === 1) {
    conv2dWeightGrad(ctx, x, dy, dw, s, 1, tile);
    return;
  }
  const partial = ctx.alloc(splits * size * 4, 'conv2d weight gradient partials');
  conv2dWeightGrad(ctx, x, dy, partial, s, splits, tile);
  reduce(ctx, 'sum', partial, dw, [splits, size], [0]);
  ctx.free(partial);
}

export function pickConvWeightGrad(ctx: GpuContext, s: Conv2dShape): WeightGradVariant {
  return ctx.tuner.pick(
    'conv2d.dweight',
    convKey(s),
    convWeightGradCandidates(ctx, s),
    (): TuneBench<WeightGradVariant> => {
      const { oh, ow } = convOutSize(s);
      const sc = scratch(ctx, s.n * s.ci * s.h * s.w, s.n * s.co * oh * ow, s.co * s.ci * s.kh * s.kw);
      const [x, dy, dw] = sc.bufs as [GPUBuffer, GPUBuffer, GPUBuffer];
      return { run: (t) => convWeightGrad(ctx, x, dy, dw, s, t), dispose: sc.dispose };
    },
  );
}

export function pickMatmul(ctx: GpuContext, s: MatmulShape, withBias: boolean): MatmulConfig {
  const fitting = matmulCandidates(ctx, s);
  const key = `${sizeClass(s.batch)},${sizeClass(s.m)},${s.n},${s.k},${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'},${s.aBatchStride ? 1 : 0}${s.bBatchStride ? 1 : 0}`;
  if (fitting.length === 0) return defaultMatmulConfig(s);
  return ctx.tuner.pick('matmul', key, fitting, (): TuneBench<MatmulConfig> => {
    const aN = (s.aBatchStride ? s.batch : 1) * s.m * s.k;
    const bN = (s.bBatchStride ? s.batch : 1) * s.k * s.n;
    const sc = scratch(ctx, aN, bN, s.n, s.batch * s.m * s.n);
    const [a, b, bias, c] = sc.bufs as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
    return { run: (cfg) => matmul(ctx, a, b, c, s, withBias ? bias : null, cfg), dispose: sc.dispose };
  });
}
