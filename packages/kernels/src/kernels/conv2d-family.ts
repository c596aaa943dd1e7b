import type { Stride1Pass, WeightGradPass } from './conv2d-row-loads.js';
import type { Conv2dShape } from './window.js';

/**
 * What the dispatcher and the tuner know of one family of register-tiled
 * weight-gradient kernels. Each conv2d-weight-*.ts file (and
 * conv2d-direct.ts) exports one; conv2d.ts lists them in
 * WEIGHT_GRAD_FAMILIES and builds every list from that array. A variant is
 * a family's kind plus one of its tiles.
 */
export interface WeightGradFamily<K extends string, T extends object> {
  readonly kind: K;
  readonly tiles: readonly T[];
  /** Whether the tile can compute this geometry's weight gradient. */
  applies(s: Conv2dShape, t: T): boolean;
  /** FMA statements its generated body unrolls: what a kernel class's compile budget counts (kernel-class.ts). */
  unroll(t: T, s: Conv2dShape): number;
  /**
   * Invocations of one batch chunk, from which the batch split is chosen
   * (weightGradSplits); null where the kernel splits its own reduction.
   */
  readonly threads: ((s: Conv2dShape, t: T) => number) | null;
  /** The CPU classes time it before the general kernel. */
  readonly preferred: boolean;
  readonly run: WeightGradPass<T>;
}

/** Stride 1 in both directions: what the stride-1 kernels need. */
export const strideOne = (s: Conv2dShape) => s.sh === 1 && s.sw === 1;

/**
 * What the dispatcher and the tuner know of one family of register-tiled
 * kernels that address the weight through strides: each runs a forward
 * convolution, and the input gradient as a stride-1 convolution of the
 * output gradient with the flipped weight. Each such conv2d-*.ts file
 * exports one; conv2d.ts lists them in ROWS_FAMILIES, whose order is the
 * candidate order (the families alternate tile by tile).
 */
export interface RowsFamily<K extends string, T extends object> {
  readonly kind: K;
  readonly tiles: readonly T[];
  /** Whether it can run a stride-1 pass of geometry s summing `reduction` channels. */
  applies(s: Conv2dShape, reduction: number): boolean;
  /** Whether tile t suits geometry s, where the family applies (absent: every tile does). */
  readonly fits?: (s: Conv2dShape, t: T) => boolean;
  /** It also takes strides (a strided tile reads a wider window): the strided layers' register kernel. */
  readonly strided: boolean;
  /** FMA statements its generated body unrolls: what a kernel class's compile budget counts (kernel-class.ts). */
  unroll(t: T, s: Conv2dShape): number;
  /** The CPU classes time it before the general kernel. */
  readonly preferred: boolean;
  readonly run: Stride1Pass<T>;
  /** Whether tile t reads a strided layer's output gradient spread by `up` in place, without writing the zeros out. */
  readonly readsDilated?: (t: T, up: { uh: number; uw: number }) => boolean;
}
