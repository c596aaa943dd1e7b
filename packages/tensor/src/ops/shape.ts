import { record } from '../autograd.js';
import {
  broadcastStrides,
  contiguousStrides,
  formatShape,
  inferShape,
  normalizeDim,
  numel,
  sameShape,
} from '../shape.js';
import type { Tensor } from '../tensor.js';
import { floatInputs, result, sumTo } from './util.js';

/** Same values in a new shape (shares storage; one dimension may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const to = inferShape('reshape', x.shape, shape);
  const y = x.share(to);
  return record('ReshapeBackward', y, [x], [], (g) => [g.reshape(x.shape)]);
}

/** Flattens dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim);
  const e = normalizeDim('flatten', endDim, x.ndim);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = numel(x.shape.slice(s, e + 1));
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** Removes size-1 dims (all of them, or `dim`). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const d = normalizeDim('squeeze', dim, x.ndim);
  if (x.shape[d] !== 1) return reshape(x, x.shape);
  return reshape(
    x,
    x.shape.filter((_, i) => i !== d),
  );
}

/** Reorders dims (a copy: tensors are always contiguous). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const backend = floatInputs('permute', x);
  if (dims.length !== x.ndim) {
    throw new Error(
      `permute: got ${dims.length} dims (${dims.join(', ')}) for a tensor of shape ${formatShape(x.shape)}`,
    );
  }
  const perm = dims.map((d) => normalizeDim('permute', d, x.ndim));
  if (new Set(perm).size !== perm.length) throw new Error(`permute: repeated dim in (${dims.join(', ')})`);
  const strides = contiguousStrides(x.shape);
  const shape = perm.map((d) => x.shape[d]!);
  const y = result(
    backend,
    backend.unary(
      'copy',
      x.handle('permute'),
      shape,
      perm.map((d) => strides[d]!),
    ),
    shape,
  );
  const inverse = new Array<number>(perm.length);
  perm.forEach((d, i) => (inverse[d] = i));
  return record('PermuteBackward', y, [x], [], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, dim0 = 0, dim1 = 1): Tensor {
  const a = normalizeDim('transpose', dim0, x.ndim);
  const b = normalizeDim('transpose', dim1, x.ndim);
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, perm);
}

/** Broadcasts to `shape` (a copy); -1 keeps a dim. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const backend = floatInputs('expand', x);
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - lead]! : d));
  const ok =
    lead >= 0 &&
    x.shape.every((d, i) => d === target[i + lead] || d === 1) &&
    target.every((d) => Number.isInteger(d) && d >= 0);
  if (!ok) throw new Error(`expand: cannot expand shape ${formatShape(x.shape)} to ${formatShape(shape)}`);
  if (sameShape(x.shape, target)) return reshape(x, target);
  const y = result(
    backend,
    backend.unary('copy', x.handle('expand'), target, broadcastStrides(x.shape, target)),
    target,
  );
  return record('ExpandBackward', y, [x], [], (g) => [sumTo(g, x.shape)]);
}
