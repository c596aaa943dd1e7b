import { record } from '../autograd.js';
import { normalizeDim, normalizeDims } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { applyBinary } from './elementwise.js';
import { floatInputs, result } from './util.js';

type Dims = number | readonly number[] | undefined;

function reducedShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Sum over `dims` (all when omitted). */
export function sum(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const backend = floatInputs('sum', x);
  const axes = normalizeDims('sum', dims, x.ndim);
  const shape = reducedShape(x.shape, axes, keepdim);
  const y = result(backend, backend.reduce('sum', x.handle('sum'), x.shape, axes), shape);
  const kept = reducedShape(x.shape, axes, true);
  return record('SumBackward', y, [x], [], (g) => {
    const gk = g.reshape(kept);
    return [gk.expand(x.shape)];
  });
}

/** Mean over `dims` (all when omitted). */
export function mean(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const axes = normalizeDims('mean', dims, x.ndim);
  const count = axes.reduce((n, d) => n * x.shape[d]!, 1);
  const s = sum(x, axes, keepdim);
  const y = s.div(count);
  s.dispose();
  return y;
}

/**
 * Maximum over `dims` (all when omitted). Like torch.amax, the gradient is
 * shared evenly between tied maxima.
 */
export function max(x: Tensor, dims?: Dims, keepdim = false): Tensor {
  const backend = floatInputs('max', x);
  const axes = normalizeDims('max', dims, x.ndim);
  if (x.size === 0) throw new Error(`max: cannot reduce an empty tensor of shape [${x.shape.join(', ')}]`);
  const shape = reducedShape(x.shape, axes, keepdim);
  const y = result(backend, backend.reduce('max', x.handle('max'), x.shape, axes), shape);
  const kept = reducedShape(x.shape, axes, true);
  return record('MaxBackward', y, [x], [x, y], (g, [x, y]) => {
    const mask = applyBinary('max backward', 'eq', x!, y!.reshape(kept));
    const count = sum(mask, axes, true);
    return [mask.mul(g.reshape(kept)).div(count)];
  });
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const backend = floatInputs(op, x);
  if (x.size === 0) throw new Error(`${op}: cannot reduce an empty tensor of shape [${x.shape.join(', ')}]`);
  if (dim === undefined) {
    // Over all elements: the index into the flattened tensor, as PyTorch.
    const flat = x.reshape([x.size]);
    const y = result(
      backend,
      backend.argReduce(op, flat.handle(op), [x.size], 0),
      keepdim ? x.shape.map(() => 1) : [],
      'int32',
    );
    flat.dispose();
    return y;
  }
  const d = normalizeDim(op, dim, x.ndim);
  const shape = reducedShape(x.shape, [d], keepdim);
  return result(backend, backend.argReduce(op, x.handle(op), x.shape, d), shape, 'int32');
}

/**
 * Index of the largest value along `dim` (over all elements, flattened, when
 * omitted), int32, like torch.argmax: the first on ties, the first NaN if
 * any. Not differentiable.
 */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argReduce('argmax', x, dim, keepdim);
}

/** Index of the smallest value, as argmax. */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argReduce('argmin', x, dim, keepdim);
}
