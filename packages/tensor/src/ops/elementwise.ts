import { record } from '../autograd.js';
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { broadcastShapes, broadcastStrides, contiguousStrides } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { floatInputs, result, sumTo } from './util.js';

/** Runs a unary kernel on a contiguous input; no autograd. */
export function applyUnary(op: string, kernel: UnaryOp, x: Tensor, scalar = 0): Tensor {
  const backend = floatInputs(op, x);
  const h = backend.unary(kernel, x.handle(op), x.shape, contiguousStrides(x.shape), scalar);
  return result(backend, h, x.shape);
}

/** Runs a broadcasting binary kernel; no autograd. */
export function applyBinary(op: string, kernel: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const backend = floatInputs(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const h = backend.binary(
    kernel,
    a.handle(op),
    broadcastStrides(a.shape, shape),
    b.handle(op),
    broadcastStrides(b.shape, shape),
    shape,
  );
  return result(backend, h, shape);
}

export function neg(x: Tensor): Tensor {
  return record('NegBackward', applyUnary('neg', 'neg', x), [x], [], (g) => [applyUnary('neg', 'neg', g)]);
}

export function exp(x: Tensor): Tensor {
  const y = applyUnary('exp', 'exp', x);
  return record('ExpBackward', y, [x], [y], (g, [y]) => [g.mul(y!)]);
}

export function log(x: Tensor): Tensor {
  return record('LogBackward', applyUnary('log', 'log', x), [x], [x], (g, [x]) => [g.div(x!)]);
}

export function sqrt(x: Tensor): Tensor {
  const y = applyUnary('sqrt', 'sqrt', x);
  return record('SqrtBackward', y, [x], [y], (g, [y]) => [g.div(y!).mul(0.5)]);
}

export function abs(x: Tensor): Tensor {
  return record('AbsBackward', applyUnary('abs', 'abs', x), [x], [x], (g, [x]) => {
    const sign = applyUnary('abs', 'step', x!).sub(applyUnary('abs', 'step', neg(x!)));
    return [g.mul(sign)];
  });
}

/** x ** exponent for a scalar exponent. */
export function pow(x: Tensor, exponent: number): Tensor {
  if (typeof exponent !== 'number') throw new Error('pow: the exponent must be a number');
  const y = applyUnary('pow', 'pow', x, exponent);
  return record('PowBackward', y, [x], [x], (g, [x]) => {
    if (exponent === 0) return [g.mul(0)];
    return [g.mul(applyUnary('pow', 'pow', x!, exponent - 1)).mul(exponent)];
  });
}

export function relu(x: Tensor): Tensor {
  return record('ReluBackward', applyUnary('relu', 'relu', x), [x], [x], (g, [x]) => [
    applyBinary('relu backward', 'relu_grad', x!, g),
  ]);
}

type Operand = Tensor | number;

function scalarOp(
  op: string,
  kernel: UnaryOp,
  x: Tensor,
  s: number,
  grad: (g: Tensor, x: Tensor) => Tensor,
  save = false,
): Tensor {
  if (typeof s !== 'number') throw new Error(`${op}: expected a Tensor or a number`);
  const y = applyUnary(op, kernel, x, s);
  return record(`${op[0]!.toUpperCase()}${op.slice(1)}Backward`, y, [x], save ? [x] : [], (g, saved) => [
    grad(g, saved[0]!),
  ]);
}

export function add(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return scalarOp('add', 'add_scalar', a, b, (g) => g.share());
  const y = applyBinary('add', 'add', a, b);
  return record('AddBackward', y, [a, b], [], (g, _s, needs) => [
    needs[0] ? sumTo(g, a.shape) : null,
    needs[1] ? sumTo(g, b.shape) : null,
  ]);
}

export function sub(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return scalarOp('sub', 'add_scalar', a, -b, (g) => g.share());
  const y = applyBinary('sub', 'sub', a, b);
  return record('SubBackward', y, [a, b], [], (g, _s, needs) => [
    needs[0] ? sumTo(g, a.shape) : null,
    needs[1] ? sumTo(neg(g), b.shape) : null,
  ]);
}

/** s - x */
export function rsub(x: Tensor, s: number): Tensor {
  return scalarOp('rsub', 'rsub_scalar', x, s, (g) => neg(g));
}

export function mul(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return scalarOp('mul', 'mul_scalar', a, b, (g) => g.mul(b));
  const y = applyBinary('mul', 'mul', a, b);
  return record('MulBackward', y, [a, b], [a, b], (g, [a, b], needs) => [
    needs[0] ? sumTo(g.mul(b!), a!.shape) : null,
    needs[1] ? sumTo(g.mul(a!), b!.shape) : null,
  ]);
}

export function div(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return scalarOp('div', 'div_scalar', a, b, (g) => g.div(b));
  const y = applyBinary('div', 'div', a, b);
  return record('DivBackward', y, [a, b], [a, b], (g, [a, b], needs) => [
    needs[0] ? sumTo(g.div(b!), a!.shape) : null,
    // d(a/b)/db = -a / b^2
    needs[1] ? sumTo(neg(g.mul(a!).div(b!.mul(b!))), b!.shape) : null,
  ]);
}

/** s / x */
export function rdiv(x: Tensor, s: number): Tensor {
  return scalarOp('rdiv', 'rdiv_scalar', x, s, (g, x) => neg(g.mul(s).div(x.mul(x))), true);
}

function minMax(op: 'maximum' | 'minimum', a: Tensor, b: Tensor): Tensor {
  const y = applyBinary(op, op, a, b);
  // Ties split the gradient evenly, as PyTorch does.
  return record(
    op === 'maximum' ? 'MaximumBackward' : 'MinimumBackward',
    y,
    [a, b],
    [a, b, y],
    (g, [a, b, y], needs) => {
      const ma = applyBinary(op, 'eq', a!, y!);
      const mb = applyBinary(op, 'eq', b!, y!);
      const total = ma.add(mb);
      return [
        needs[0] ? sumTo(g.mul(ma).div(total), a!.shape) : null,
        needs[1] ? sumTo(g.mul(mb).div(total), b!.shape) : null,
      ];
    },
  );
}

export function maximum(a: Tensor, b: Tensor): Tensor {
  return minMax('maximum', a, b);
}

export function minimum(a: Tensor, b: Tensor): Tensor {
  return minMax('minimum', a, b);
}

/** 1 where a == b, else 0 (float32; no gradient). */
export function eq(a: Tensor, b: Tensor): Tensor {
  return applyBinary('eq', 'eq', a, b);
}

/** 1 where a > b, else 0 (float32; no gradient). */
export function gt(a: Tensor, b: Tensor): Tensor {
  return applyBinary('gt', 'gt', a, b);
}

/** A contiguous copy with its own storage (differentiable). */
export function clone(x: Tensor): Tensor {
  if (x.dtype !== 'float32') {
    // Integer tensors (indices, BatchNorm's num_batches_tracked) are copied
    // as raw buffer bytes: through a float kernel small integers would be
    // denormals, which a GPU may flush to zero. No gradient to record.
    const s = x.storageFor('clone');
    return result(s.backend, s.backend.concat([x.handle('clone')], [x.size]), x.shape, x.dtype);
  }
  return record('CloneBackward', applyUnary('clone', 'copy', x), [x], [], (g) => [g.share()]);
}
