import {
  adapterName,
  binary,
  f32Bits,
  fill,
  type GpuContext,
  matmul,
  reduce,
  softmax,
  unary,
  type BinaryOp,
  type MatmulShape,
  type ReduceOp,
  type UnaryOp,
} from '@pneumo/kernels';
import type { DType, TypedArray } from '../dtype.js';
import { numel } from '../shape.js';
import type { Backend } from './backend.js';

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

  free(h: GPUBuffer): void {
    this.ctx.free(h);
  }

  fill(n: number, value: number, dtype: DType): GPUBuffer {
    const buf = this.alloc(n);
    const bits = dtype === 'float32' ? f32Bits(value) : value | 0;
    fill(this.ctx, buf, n, bits);
    return buf;
  }

  unary(op: UnaryOp, x: GPUBuffer, shape: readonly number[], xStrides: readonly number[], scalar = 0): GPUBuffer {
    const y = this.alloc(numel(shape));
    unary(this.ctx, op, x, y, shape, xStrides, scalar);
    return y;
  }

  binary(
    op: BinaryOp,
    a: GPUBuffer,
    aStrides: readonly number[],
    b: GPUBuffer,
    bStrides: readonly number[],
    shape: readonly number[],
  ): GPUBuffer {
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

  matmul(a: GPUBuffer, b: GPUBuffer, s: MatmulShape): GPUBuffer {
    const c = this.alloc(s.batch * s.m * s.n);
    matmul(this.ctx, a, b, c, s);
    return c;
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
