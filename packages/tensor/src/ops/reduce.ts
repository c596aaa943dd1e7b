import { record } from '../autograd.js';
import { normalizeDims } from '../shape.js';
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
