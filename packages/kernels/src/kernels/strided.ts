import { MAX_PARAM_RANK } from '../params.js';

/**
 * Shapes and strides as kernels receive them: padded to MAX_PARAM_RANK. A
 * stride of 0 broadcasts a dimension. One helper so every strided kernel
 * checks rank the same way.
 */
export function rankParams(op: string, shape: readonly number[]): { rank: number; shape: number[] } {
  if (shape.length > MAX_PARAM_RANK) {
    throw new Error(`${op}: tensors of rank ${shape.length} are not supported (at most ${MAX_PARAM_RANK})`);
  }
  return { rank: shape.length, shape: [...shape] };
}

/** WGSL reading element `d` of a vec8u parameter. */
export const at = (field: string, d: string) => `p.${field}[(${d}) / 4u][(${d}) % 4u]`;

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
