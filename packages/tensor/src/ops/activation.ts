import { record } from '../autograd.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { relu } from './elementwise.js';
import { sum } from './reduce.js';
import { transpose } from './shape.js';
import { floatInputs, result } from './util.js';

export { relu };

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  const backend = floatInputs(op, x);
  const cols = x.ndim === 0 ? 1 : x.shape[x.ndim - 1]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  const y = result(backend, backend.softmax(x.handle(op), rows, cols, log), x.shape);
  if (log) {
    // d logsoftmax: g - softmax(x) * sum(g)
    return record('LogSoftmaxBackward', y, [x], [y], (g, [y]) => [g.sub(y!.exp().mul(sum(g, -1, true)))]);
  }
  // d softmax: y * (g - sum(g * y))
  return record('SoftmaxBackward', y, [x], [y], (g, [y]) => [y!.mul(g.sub(sum(g.mul(y!), -1, true)))]);
}

function alongDim(x: Tensor, dim: number, log: boolean): Tensor {
  const d = normalizeDim(log ? 'logSoftmax' : 'softmax', dim, x.ndim);
  if (x.ndim === 0 || d === x.ndim - 1) return softmaxLast(x, log);
  const moved = transpose(x, d, -1);
  const y = softmaxLast(moved, log);
  const out = transpose(y, d, -1);
  moved.dispose();
  y.dispose();
  return out;
}

/** Softmax along `dim` (default the last), numerically stable. */
export function softmax(x: Tensor, dim = -1): Tensor {
  return alongDim(x, dim, false);
}

/** log(softmax(x)) along `dim`, computed stably as x - max - log(sum(exp(x - max))). */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return alongDim(x, dim, true);
}
