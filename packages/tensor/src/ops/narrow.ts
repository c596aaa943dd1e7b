import { record } from '../autograd.js';
import { contiguousStrides, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { matmul } from './matmul.js';
import { transpose } from './shape.js';
import { floatInputs, result } from './util.js';

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
