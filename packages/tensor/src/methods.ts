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

type Operand = Tensor | number;
type Dims = number | readonly number[];

declare module './tensor.js' {
  interface Tensor {
    add(other: Operand): Tensor;
    sub(other: Operand): Tensor;
    mul(other: Operand): Tensor;
    div(other: Operand): Tensor;
    /** other - this */
    rsub(other: number): Tensor;
    /** other / this */
    rdiv(other: number): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    pow(exponent: number): Tensor;
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    leakyRelu(slope?: number): Tensor;
    gelu(): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    maximum(other: Tensor): Tensor;
    minimum(other: Tensor): Tensor;
    eq(other: Tensor): Tensor;
    gt(other: Tensor): Tensor;
    clone(): Tensor;
    sum(dims?: Dims, keepdim?: boolean): Tensor;
    mean(dims?: Dims, keepdim?: boolean): Tensor;
    max(dims?: Dims, keepdim?: boolean): Tensor;
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    /** Transpose of a 2-D tensor. */
    t(): Tensor;
    expand(shape: readonly number[]): Tensor;
    matmul(other: Tensor): Tensor;
    softmax(dim?: number): Tensor;
    logSoftmax(dim?: number): Tensor;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
// biome-ignore lint/suspicious/noExplicitAny: one table of methods with different signatures
const methods: Record<string, (this: Tensor, ...args: any[]) => Tensor> = {
  add(this: Tensor, o: Operand) { return ew.add(this, o); },
  sub(this: Tensor, o: Operand) { return ew.sub(this, o); },
  mul(this: Tensor, o: Operand) { return ew.mul(this, o); },
  div(this: Tensor, o: Operand) { return ew.div(this, o); },
  rsub(this: Tensor, s: number) { return ew.rsub(this, s); },
  rdiv(this: Tensor, s: number) { return ew.rdiv(this, s); },
  neg(this: Tensor) { return ew.neg(this); },
  exp(this: Tensor) { return ew.exp(this); },
  log(this: Tensor) { return ew.log(this); },
  sqrt(this: Tensor) { return ew.sqrt(this); },
  abs(this: Tensor) { return ew.abs(this); },
  pow(this: Tensor, e: number) { return ew.pow(this, e); },
  relu(this: Tensor) { return ew.relu(this); },
  sigmoid(this: Tensor) { return act.sigmoid(this); },
  tanh(this: Tensor) { return act.tanh(this); },
  leakyRelu(this: Tensor, slope?: number) { return act.leakyRelu(this, slope); },
  gelu(this: Tensor) { return act.gelu(this); },
  clamp(this: Tensor, min?: number | null, max?: number | null) { return act.clamp(this, min, max); },
  maximum(this: Tensor, o: Tensor) { return ew.maximum(this, o); },
  minimum(this: Tensor, o: Tensor) { return ew.minimum(this, o); },
  eq(this: Tensor, o: Tensor) { return ew.eq(this, o); },
  gt(this: Tensor, o: Tensor) { return ew.gt(this, o); },
  clone(this: Tensor) { return ew.clone(this); },
  sum(this: Tensor, d?: Dims, k?: boolean) { return red.sum(this, d, k); },
  mean(this: Tensor, d?: Dims, k?: boolean) { return red.mean(this, d, k); },
  max(this: Tensor, d?: Dims, k?: boolean) { return red.max(this, d, k); },
  argmax(this: Tensor, d?: number, k?: boolean) { return red.argmax(this, d, k); },
  argmin(this: Tensor, d?: number, k?: boolean) { return red.argmin(this, d, k); },
  reshape(this: Tensor, s: readonly number[]) { return sh.reshape(this, s); },
  view(this: Tensor, s: readonly number[]) { return sh.reshape(this, s); },
  flatten(this: Tensor, s?: number, e?: number) { return sh.flatten(this, s, e); },
  squeeze(this: Tensor, d?: number) { return sh.squeeze(this, d); },
  unsqueeze(this: Tensor, d: number) { return sh.unsqueeze(this, d); },
  permute(this: Tensor, d: readonly number[]) { return sh.permute(this, d); },
  transpose(this: Tensor, a?: number, b?: number) { return sh.transpose(this, a, b); },
  t(this: Tensor) {
    if (this.ndim !== 2) throw new Error(`t: expects a 2-D tensor, got shape [${this.shape.join(', ')}]`);
    return sh.transpose(this, 0, 1);
  },
  expand(this: Tensor, s: readonly number[]) { return sh.expand(this, s); },
  matmul(this: Tensor, o: Tensor) { return mm.matmul(this, o); },
  softmax(this: Tensor, d?: number) { return act.softmax(this, d); },
  logSoftmax(this: Tensor, d?: number) { return act.logSoftmax(this, d); },
};
Object.assign(Tensor.prototype, methods);
