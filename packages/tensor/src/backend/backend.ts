import type {
  AdamOptions,
  BinaryOp,
  Conv2dShape,
  MatmulShape,
  Pool2dShape,
  ReduceOp,
  ArgReduceOp,
  BatchNormShape,
  GatherShape,
  SgdOptions,
  UnaryOp,
} from '@pneumo/kernels';
import type { DeviceName, DType, TypedArray } from '../dtype.js';

export type {
  AdamOptions,
  ArgReduceOp,
  BatchNormShape,
  GatherShape,
  BinaryOp,
  Conv2dShape,
  MatmulShape,
  Pool2dShape,
  ReduceOp,
  SgdOptions,
  UnaryOp,
};

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
  /** `x` is read from element `xOffset` on with `xStrides`. */
  unary(op: UnaryOp, x: H, shape: readonly number[], xStrides: readonly number[], scalar?: number, xOffset?: number): H;
  binary(
    op: BinaryOp,
    a: H,
    aStrides: readonly number[],
    b: H,
    bStrides: readonly number[],
    shape: readonly number[],
  ): H;
  reduce(op: ReduceOp, x: H, shape: readonly number[], axes: readonly number[]): H;
  /** int32 indices of the max / min along `axis` (first on ties, first NaN wins). */
  argReduce(op: ArgReduceOp, x: H, shape: readonly number[], axis: number): H;
  /** op(A)·op(B), plus `bias` [n] on every row when given. */
  matmul(a: H, b: H, s: MatmulShape, bias?: H | null): H;
  conv2d(x: H, w: H, bias: H | null, s: Conv2dShape): H;
  conv2dInputGrad(dy: H, w: H, s: Conv2dShape): H;
  conv2dWeightGrad(x: H, dy: H, s: Conv2dShape): H;
  /** Output and int32 argmax indices (flat position in the input plane). */
  maxPool2d(x: H, s: Pool2dShape): [H, H];
  maxPool2dBackward(dy: H, idx: H, s: Pool2dShape): H;
  /** [mean (c), biased variance (c)] of each channel of NCHW x. */
  batchNormStats(x: H, s: BatchNormShape): H;
  /** [running mean (c), running variance (c)] after a training step: (1 - momentum) · running + momentum · batch statistic, the variance unbiased over `count` values. */
  batchNormRunning(stats: H, runningMean: H, runningVar: H, s: { c: number; count: number; momentum: number }): [H, H];
  /** (x - mean) / sqrt(var + eps) · w + b per channel (stats [2, c]) + residual (when given), clamped at zero with `relu`. */
  batchNormApply(
    x: H,
    stats: H,
    w: H,
    b: H,
    s: BatchNormShape & { eps: number; relu: boolean },
    residual?: H | null,
  ): H;
  /**
   * Training-mode gradients: [[dbias (c), dweight (c)], dx, the fused
   * residual's gradient (with `residualGrad`, which needs `y`)]; `y` (the
   * output) only when the ReLU was fused.
   */
  batchNormBackward(
    g: H,
    y: H | null,
    x: H,
    stats: H,
    w: H,
    s: BatchNormShape & { eps: number },
    residualGrad?: boolean,
  ): [H, H, H | null];
  /** Per row: [weighted loss, weight] (rows x 2). */
  crossEntropy(x: H, labels: H, weight: H | null, rows: number, cols: number): H;
  /** Logit gradients; `scale` holds one float, or one per row when `perRowScale`. */
  crossEntropyBackward(
    x: H,
    labels: H,
    weight: H | null,
    scale: H,
    rows: number,
    cols: number,
    perRowScale: boolean,
  ): H;
  /** In-place SGD update of `param` (and its momentum buffer). */
  sgdStep(param: H, grad: H, buf: H | null, n: number, o: SgdOptions): void;
  /** out[a, j, b] = x[a, idx[a, j, b] (or idx[j] when shared), b]; and its gradient with respect to x. */
  gather(x: H, idx: H, s: GatherShape): H;
  gatherBackward(g: H, idx: H, s: GatherShape): H;
  /** The buffers one after another (32-bit elements, any dtype): `counts[i]` elements of `parts[i]`. */
  concat(parts: readonly H[], counts: readonly number[]): H;
  /** int32 -> float32 or float32 -> int32 (truncating), elementwise. */
  cast(x: H, n: number, to: DType): H;
  /** x += k in place on an int32 buffer of n elements (k an int32). */
  addInt32InPlace(x: H, n: number, k: number): void;
  /** In-place Adam / AdamW update of `param`, `m`, `v`. */
  adamStep(param: H, grad: H, m: H, v: H, n: number, o: AdamOptions): void;
  softmax(x: H, rows: number, cols: number, log: boolean): H;
  /** Waits for queued work (and surfaces its errors). */
  sync(): Promise<void>;
  /** Backend-level memory numbers (GPU buffer pool), if any. */
  stats(): Record<string, number>;
}

/** A Backend method's parameters: implementations take them from here instead of restating them. */
export type BackendArgs<H, K extends keyof Backend<H>> = Backend<H>[K] extends (...args: infer A) => unknown
  ? A
  : never;
