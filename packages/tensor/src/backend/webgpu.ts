import {
  adamStep,
  batchNormApply,
  batchNormBackward,
  batchNormStats,
  batchNormRunning,
  cast,
  addInt32InPlace,
  adapterName,
  conv2dForward,
  conv2dInputGrad,
  convOutSize,
  convWeightGrad,
  pickConvForward,
  pickConvInputGrad,
  pickConvWeightGrad,
  pickMatmul,
  crossEntropyBackward,
  crossEntropyForward,
  maxPool2dBackward,
  maxPool2dForward,
  poolOutSize,
  sgdStep,
  type AdamOptions,
  type Conv2dShape,
  type Pool2dShape,
  type SgdOptions,
  binary,
  f32Bits,
  fill,
  type GpuContext,
  matmul,
  reduce,
  argReduce,
  type ArgReduceOp,
  gather,
  gatherBackward,
  type GatherShape,
  softmax,
  unary,
  type MatmulShape,
  type ReduceOp,
} from '@pneumo/kernels';
import type { DType, TypedArray } from '../dtype.js';
import { numel } from '../shape.js';
import type { Backend, BackendArgs } from './backend.js';

type Args<K extends keyof Backend<GPUBuffer>> = BackendArgs<GPUBuffer, K>;

/** Tensors in GPU buffers; every op is one or a few WGSL dispatches, batched into one submit. */
export class WebGpuBackend implements Backend<GPUBuffer> {
  readonly name = 'webgpu' as const;
  readonly description: string;

  constructor(readonly ctx: GpuContext) {
    this.description = `webgpu on ${adapterName(ctx.adapter)}`;
  }

  alloc(n: number): GPUBuffer {
    return this.ctx.alloc(n * 4);
  }

  upload(data: TypedArray): GPUBuffer {
    const buf = this.ctx.alloc(data.byteLength);
    if (data.byteLength > 0) this.ctx.write(buf, data);
    return buf;
  }

  async read(h: GPUBuffer, n: number, dtype: DType): Promise<TypedArray> {
    if (n === 0) return dtype === 'float32' ? new Float32Array(0) : new Int32Array(0);
    const bytes = await this.ctx.read(h, n * 4);
    return dtype === 'float32' ? new Float32Array(bytes) : new Int32Array(bytes);
  }

  gather(x: GPUBuffer, idx: GPUBuffer, s: GatherShape): GPUBuffer {
    const y = this.alloc(s.outer * s.count * s.inner);
    gather(this.ctx, x, idx, y, s);
    return y;
  }

  gatherBackward(g: GPUBuffer, idx: GPUBuffer, s: GatherShape): GPUBuffer {
    const dx = this.alloc(s.outer * s.size * s.inner);
    gatherBackward(this.ctx, g, idx, dx, s);
    return dx;
  }

  concat(parts: readonly GPUBuffer[], counts: readonly number[]): GPUBuffer {
    const y = this.alloc(counts.reduce((a, b) => a + b, 0));
    let at = 0;
    parts.forEach((p, i) => {
      this.ctx.copy(p, 0, y, at * 4, counts[i]! * 4);
      at += counts[i]!;
    });
    return y;
  }

  free(h: GPUBuffer): void {
    this.ctx.free(h);
  }

  fill(n: number, value: number, dtype: DType): GPUBuffer {
    const buf = this.alloc(n);
    const bits = dtype === 'float32' ? f32Bits(value) : value | 0;
    fill(this.ctx, buf, n, bits);
    return buf;
  }

  unary(...[op, x, shape, xStrides, scalar = 0, xOffset = 0]: Args<'unary'>): GPUBuffer {
    const y = this.alloc(numel(shape));
    unary(this.ctx, op, x, y, shape, xStrides, scalar, xOffset);
    return y;
  }

  binary(...[op, a, aStrides, b, bStrides, shape]: Args<'binary'>): GPUBuffer {
    const y = this.alloc(numel(shape));
    binary(this.ctx, op, a, aStrides, b, bStrides, y, shape);
    return y;
  }

  reduce(op: ReduceOp, x: GPUBuffer, shape: readonly number[], axes: readonly number[]): GPUBuffer {
    const kept = shape.filter((_, d) => !axes.includes(d));
    const y = this.alloc(numel(kept));
    reduce(this.ctx, op, x, y, shape, axes);
    return y;
  }

  argReduce(op: ArgReduceOp, x: GPUBuffer, shape: readonly number[], axis: number): GPUBuffer {
    const y = this.alloc(numel(shape) / Math.max(1, shape[axis]!));
    argReduce(this.ctx, op, x, y, shape, axis);
    return y;
  }

  matmul(a: GPUBuffer, b: GPUBuffer, s: MatmulShape, bias: GPUBuffer | null = null): GPUBuffer {
    const c = this.alloc(s.batch * s.m * s.n);
    matmul(this.ctx, a, b, c, s, bias, pickMatmul(this.ctx, s, bias !== null));
    return c;
  }

  conv2d(x: GPUBuffer, w: GPUBuffer, bias: GPUBuffer | null, s: Conv2dShape): GPUBuffer {
    const { oh, ow } = convOutSize(s);
    const y = this.alloc(s.n * s.co * oh * ow);
    conv2dForward(this.ctx, x, w, bias, y, s, pickConvForward(this.ctx, s));
    return y;
  }

  conv2dInputGrad(dy: GPUBuffer, w: GPUBuffer, s: Conv2dShape): GPUBuffer {
    const dx = this.alloc(s.n * s.ci * s.h * s.w);
    conv2dInputGrad(this.ctx, dy, w, dx, s, pickConvInputGrad(this.ctx, s));
    return dx;
  }

  conv2dWeightGrad(x: GPUBuffer, dy: GPUBuffer, s: Conv2dShape): GPUBuffer {
    const dw = this.alloc(s.co * s.ci * s.kh * s.kw);
    convWeightGrad(this.ctx, x, dy, dw, s, pickConvWeightGrad(this.ctx, s));
    return dw;
  }

  maxPool2d(x: GPUBuffer, s: Pool2dShape): [GPUBuffer, GPUBuffer] {
    const { oh, ow } = poolOutSize(s);
    const y = this.alloc(s.planes * oh * ow);
    const idx = this.alloc(s.planes * oh * ow);
    maxPool2dForward(this.ctx, x, y, idx, s);
    return [y, idx];
  }

  maxPool2dBackward(dy: GPUBuffer, idx: GPUBuffer, s: Pool2dShape): GPUBuffer {
    const dx = this.alloc(s.planes * s.h * s.w);
    maxPool2dBackward(this.ctx, dy, idx, dx, s);
    return dx;
  }

  batchNormStats(...[x, s]: Args<'batchNormStats'>): GPUBuffer {
    const stats = this.alloc(2 * s.c);
    batchNormStats(this.ctx, x, stats, s);
    return stats;
  }

  batchNormRunning(...[stats, runningMean, runningVar, s]: Args<'batchNormRunning'>): [GPUBuffer, GPUBuffer] {
    const mean = this.alloc(s.c);
    const variance = this.alloc(s.c);
    batchNormRunning(this.ctx, stats, runningMean, runningVar, mean, variance, s);
    return [mean, variance];
  }

  batchNormApply(...[x, stats, w, b, s, residual = null]: Args<'batchNormApply'>): GPUBuffer {
    const y = this.alloc(s.n * s.c * s.hw);
    batchNormApply(this.ctx, x, stats, w, b, y, s, residual);
    return y;
  }

  batchNormBackward(
    ...[g, y, x, stats, w, s, residualGrad = false]: Args<'batchNormBackward'>
  ): [GPUBuffer, GPUBuffer, GPUBuffer | null] {
    const sums = this.alloc(2 * s.c);
    const dx = this.alloc(s.n * s.c * s.hw);
    const dr = residualGrad ? this.alloc(s.n * s.c * s.hw) : null;
    batchNormBackward(this.ctx, g, y, x, stats, w, sums, dx, s, dr);
    return [sums, dx, dr];
  }

  crossEntropy(x: GPUBuffer, labels: GPUBuffer, weight: GPUBuffer | null, rows: number, cols: number): GPUBuffer {
    const out = this.alloc(rows * 2);
    crossEntropyForward(this.ctx, x, labels, weight, out, rows, cols);
    return out;
  }

  crossEntropyBackward(
    ...[x, labels, weight, scale, rows, cols, perRowScale]: Args<'crossEntropyBackward'>
  ): GPUBuffer {
    const dx = this.alloc(rows * cols);
    crossEntropyBackward(this.ctx, x, labels, weight, scale, dx, rows, cols, perRowScale);
    return dx;
  }

  cast(x: GPUBuffer, n: number, to: DType): GPUBuffer {
    const y = this.alloc(n);
    cast(this.ctx, x, y, n, to === 'float32' ? 'i32_to_f32' : 'f32_to_i32');
    return y;
  }

  addInt32InPlace(x: GPUBuffer, n: number, k: number): void {
    addInt32InPlace(this.ctx, x, n, k);
  }

  sgdStep(p: GPUBuffer, g: GPUBuffer, buf: GPUBuffer | null, n: number, o: SgdOptions): void {
    sgdStep(this.ctx, p, g, buf, n, o);
  }

  adamStep(p: GPUBuffer, g: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, o: AdamOptions): void {
    adamStep(this.ctx, p, g, m, v, n, o);
  }

  softmax(x: GPUBuffer, rows: number, cols: number, log: boolean): GPUBuffer {
    const y = this.alloc(rows * cols);
    softmax(this.ctx, x, y, rows, cols, log);
    return y;
  }

  sync(): Promise<void> {
    return this.ctx.sync();
  }

  stats(): Record<string, number> {
    return { ...this.ctx.stats() };
  }
}
