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
import { tensor } from './creation.js';
import { matmul } from './matmul.js';
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

/**
 * `g` [..., length (at dim), ...] placed at start..start+length-1 of zeros
 * shaped `full` along `dim`: narrow's gradient. Done as a matmul with a 0/1
 * selection matrix (exact: each output is one product with 1 plus zeros),
 * with `dim` moved last.
 */
function padAlong(g: Tensor, dim: number, start: number, full: readonly number[]): Tensor {
  const length = g.shape[dim]!;
  const size = full[dim]!;
  const select = new Float32Array(length * size);
  for (let i = 0; i < length; i++) select[i * size + start + i] = 1;
  const s = tensor(select, { shape: [length, size], device: g.device });
  const last = dim === g.ndim - 1;
  const moved = last ? g : transpose(g, dim, -1);
  const out = matmul(moved, s);
  const y = last ? out : transpose(out, dim, -1);
  for (const t of last ? [s] : [s, moved, out]) t.dispose();
  return y;
}

/** Elements start..start+length-1 along `dim` (a copy), with its gradient. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const backend = floatInputs('narrow', x);
  const d = normalizeDim('narrow', dim, x.ndim);
  const size = x.shape[d]!;
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > size) {
    throw new Error(`narrow: range ${start}..${start + length} out of bounds for dimension ${d} of size ${size}`);
  }
  const strides = contiguousStrides(x.shape);
  const shape = x.shape.map((s, i) => (i === d ? length : s));
  const h = backend.unary('copy', x.handle('narrow'), shape, strides, 0, start * strides[d]!);
  const y = result(backend, h, shape, x.dtype);
  if (x.dtype !== 'float32') return y;
  return record('NarrowBackward', y, [x], [], (g) => [padAlong(g, d, start, x.shape)]);
}
