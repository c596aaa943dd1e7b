import { record } from '../autograd.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { applyUnary, relu } from './elementwise.js';
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

/** 1 / (1 + e^-x), elementwise. */
export function sigmoid(x: Tensor): Tensor {
  const y = applyUnary('sigmoid', 'sigmoid', x);
  return record('SigmoidBackward', y, [x], [y], (g, [y]) => [g.mul(y!.mul(y!.rsub(1)))]);
}

/** Hyperbolic tangent, elementwise (stable for any |x|). */
export function tanh(x: Tensor): Tensor {
  const y = applyUnary('tanh', 'tanh', x);
  return record('TanhBackward', y, [x], [y], (g, [y]) => [g.mul(y!.mul(y!).rsub(1))]);
}

/**
 * GELU, PyTorch's exact form x Φ(x) = x (1 + erf(x / √2)) / 2 (the
 * default of torch.nn.functional.gelu, not the tanh approximation).
 */
export function gelu(x: Tensor): Tensor {
  const y = applyUnary('gelu', 'gelu', x);
  return record('GeluBackward', y, [x], [x], (g, [x]) => [g.mul(applyUnary('gelu', 'gelu_grad', x!))]);
}

/** x where x > 0, slope * x elsewhere (PyTorch's default slope 0.01). */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  if (typeof slope !== 'number' || !Number.isFinite(slope))
    throw new Error(`leakyRelu: the slope must be a finite number, got ${slope}`);
  const y = applyUnary('leakyRelu', 'leaky_relu', x, slope);
  return record('LeakyReluBackward', y, [x], [x], (g, [x]) => [
    g.mul(applyUnary('leakyRelu', 'leaky_relu_mask', x!, slope)),
  ]);
}

/**
 * Elementwise min(max(x, min), max); either bound may be omitted. The
 * gradient passes where min <= x <= max, as in PyTorch; NaN stays NaN.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? null;
  const hi = max ?? null;
  if (lo === null && hi === null) throw new Error('clamp: give at least one of min and max');
  for (const [name, v] of [
    ['min', lo],
    ['max', hi],
  ] as const) {
    if (v !== null && (typeof v !== 'number' || Number.isNaN(v)))
      throw new Error(`clamp: ${name} must be a number, got ${v}`);
  }
  if (lo !== null && hi !== null && lo > hi) throw new Error(`clamp: min ${lo} is greater than max ${hi}`);
  let y = lo === null ? x : applyUnary('clamp', 'clamp_min', x, lo);
  if (hi !== null) {
    const capped = applyUnary('clamp', 'clamp_max', y, hi);
    if (y !== x) y.dispose();
    y = capped;
  }
  return record('ClampBackward', y, [x], [x], (g, [x]) => {
    let mask: Tensor | null = null;
    for (const [kernel, bound] of [
      ['ge_scalar', lo],
      ['le_scalar', hi],
    ] as const) {
      if (bound === null) continue;
      const m = applyUnary('clamp', kernel, x!, bound);
      mask = mask ? mask.mul(m) : m;
    }
    return [g.mul(mask!)];
  });
}
