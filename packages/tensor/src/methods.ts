/**
 * Op methods on Tensor (`a.add(b).relu()`), declared here and attached to
 * the prototype so the op files can import Tensor without a cycle.
 */
import * as act from './ops/activation.js';
import * as ew from './ops/elementwise.js';
import * as mm from './ops/matmul.js';
import * as red from './ops/reduce.js';
import * as sh from './ops/shape.js';
import { Tensor } from './tensor.js';

/**
 * One table: each method is the op called with the tensor as its first
 * argument (`a.add(b)` is `add(a, b)`); the method declarations below are
 * derived from it, so a new op is one line here.
 */
const METHODS = {
  add: ew.add,
  sub: ew.sub,
  mul: ew.mul,
  div: ew.div,
  /** other - this */
  rsub: ew.rsub,
  /** other / this */
  rdiv: ew.rdiv,
  neg: ew.neg,
  exp: ew.exp,
  log: ew.log,
  sqrt: ew.sqrt,
  abs: ew.abs,
  pow: ew.pow,
  relu: ew.relu,
  sigmoid: act.sigmoid,
  tanh: act.tanh,
  leakyRelu: act.leakyRelu,
  gelu: act.gelu,
  clamp: act.clamp,
  maximum: ew.maximum,
  minimum: ew.minimum,
  eq: ew.eq,
  gt: ew.gt,
  clone: ew.clone,
  sum: red.sum,
  mean: red.mean,
  max: red.max,
  argmax: red.argmax,
  argmin: red.argmin,
  reshape: sh.reshape,
  view: sh.reshape,
  flatten: sh.flatten,
  squeeze: sh.squeeze,
  unsqueeze: sh.unsqueeze,
  permute: sh.permute,
  transpose: sh.transpose,
  /** Transpose of a 2-D tensor. */
  t: (x: Tensor): Tensor => {
    if (x.ndim !== 2) throw new Error(`t: expects a 2-D tensor, got shape [${x.shape.join(', ')}]`);
    return sh.transpose(x, 0, 1);
  },
  expand: sh.expand,
  matmul: mm.matmul,
  softmax: act.softmax,
  logSoftmax: act.logSoftmax,
};

/** The table's functions as methods: the first parameter becomes `this`. */
type AsMethods<T> = {
  [K in keyof T]: T[K] extends (self: Tensor, ...args: infer A) => infer R ? (...args: A) => R : never;
};
type TensorMethods = AsMethods<typeof METHODS>;

declare module './tensor.js' {
  interface Tensor extends TensorMethods {}
}

for (const [name, fn] of Object.entries(METHODS)) {
  Object.defineProperty(Tensor.prototype, name, {
    // biome-ignore lint/suspicious/noExplicitAny: forwards whatever the op takes
    value(this: Tensor, ...args: any[]) {
      return (fn as (self: Tensor, ...a: unknown[]) => Tensor)(this, ...args);
    },
    writable: true,
    configurable: true,
  });
}
