import type { BinaryOp, MatmulShape, ReduceOp, UnaryOp } from '@pneumo/kernels';
import type { DeviceName, DType, TypedArray } from '../dtype.js';

export type { BinaryOp, MatmulShape, ReduceOp, UnaryOp };

/**
 * What a tensor needs from a device. Every method that computes returns a
 * new contiguous buffer; inputs are read with the given element strides
 * (0 broadcasts). Two implementations: webgpu (WGSL kernels) and cpu (plain
 * TypeScript, the reference the GPU is tested against).
 */
export interface Backend<H = unknown> {
  readonly name: DeviceName;
  /** One line naming the hardware, for logs. */
  readonly description: string;
  alloc(n: number, dtype: DType): H;
  upload(data: TypedArray): H;
  read(h: H, n: number, dtype: DType): Promise<TypedArray>;
  free(h: H): void;
  fill(n: number, value: number, dtype: DType): H;
  unary(op: UnaryOp, x: H, shape: readonly number[], xStrides: readonly number[], scalar?: number): H;
  binary(
    op: BinaryOp,
    a: H,
    aStrides: readonly number[],
    b: H,
    bStrides: readonly number[],
    shape: readonly number[],
  ): H;
  reduce(op: ReduceOp, x: H, shape: readonly number[], axes: readonly number[]): H;
  matmul(a: H, b: H, s: MatmulShape): H;
  softmax(x: H, rows: number, cols: number, log: boolean): H;
  /** Waits for queued work (and surfaces its errors). */
  sync(): Promise<void>;
  /** Backend-level memory numbers (GPU buffer pool), if any. */
  stats(): Record<string, number>;
}
