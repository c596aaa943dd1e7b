import type { BufferBinding, GpuContext } from '../context.js';
import { defineKernel, input, output, perElement } from '../kernel.js';

const WG = 64;

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  /** True on the first step with momentum: the buffer starts as the gradient. */
  firstStep: boolean;
}

/** PyTorch's SGD, in place on param and momentum buffer. */
const sgdKernel = () =>
  defineKernel({
    name: 'sgd_step',
    bindings: [output('P'), input('G'), output('Buf')],
    params: [
      ['n', 'u32'],
      ['lr', 'f32'],
      ['momentum', 'f32'],
      ['dampening', 'f32'],
      ['wd', 'f32'],
      ['nesterov', 'u32'],
      ['first', 'u32'],
    ],
    workgroupSize: WG,
    body: `
${perElement(
  WG,
  `
  var g = G[i];
  if (p.wd != 0.0) { g = g + p.wd * P[i]; }
  if (p.momentum != 0.0) {
    var b = g;
    if (p.first == 0u) { b = p.momentum * Buf[i] + (1.0 - p.dampening) * g; }
    Buf[i] = b;
    if (p.nesterov != 0u) { g = g + p.momentum * b; } else { g = b; }
  }
  P[i] = P[i] - p.lr * g;`,
)}`,
  });

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decoupled weight decay (p *= 1 - lr * wd) instead of L2 in the gradient. */
  decoupled: boolean;
  /** Step number, from 1. */
  step: number;
}

/** PyTorch's Adam / AdamW (bias-corrected, amsgrad off), in place on param, m and v. */
const adamKernel = () =>
  defineKernel({
    name: 'adam_step',
    bindings: [output('P'), input('G'), output('M'), output('V')],
    params: [
      ['n', 'u32'],
      ['lr', 'f32'],
      ['beta1', 'f32'],
      ['beta2', 'f32'],
      ['eps', 'f32'],
      ['wd', 'f32'],
      ['decoupled', 'u32'],
      ['stepSize', 'f32'],
      ['bc2Sqrt', 'f32'],
    ],
    workgroupSize: WG,
    body: `
${perElement(
  WG,
  `
  var param = P[i];
  var g = G[i];
  if (p.wd != 0.0) {
    if (p.decoupled != 0u) { param = param * (1.0 - p.lr * p.wd); } else { g = g + p.wd * param; }
  }
  // m.lerp_(g, 1 - beta1) and v.mul_(beta2).addcmul_(g, g, 1 - beta2), as PyTorch writes them.
  let m = M[i] + (g - M[i]) * (1.0 - p.beta1);
  let v = p.beta2 * V[i] + (1.0 - p.beta2) * g * g;
  M[i] = m;
  V[i] = v;
  let denom = sqrt(v) / p.bc2Sqrt + p.eps;
  P[i] = param - p.stepSize * (m / denom);`,
)}`,
  });

export function sgdStep(
  ctx: GpuContext,
  param: BufferBinding,
  grad: BufferBinding,
  buf: BufferBinding | null,
  n: number,
  o: SgdOptions,
): void {
  if (n === 0) return;
  if (!buf && o.momentum !== 0) throw new Error('sgd step: momentum needs a momentum buffer');
  // Without momentum the kernel never touches the buffer; a scratch one fills the binding.
  const scratch = buf ? null : ctx.alloc(16, 'sgd scratch');
  ctx.dispatch(
    sgdKernel(),
    [param, grad, buf ?? scratch!],
    {
      n,
      lr: o.lr,
      momentum: o.momentum,
      dampening: o.dampening,
      wd: o.weightDecay,
      nesterov: o.nesterov ? 1 : 0,
      first: o.firstStep ? 1 : 0,
    },
    Math.ceil(n / WG),
    `sgd step [${n}]`,
  );
  if (scratch) ctx.free(scratch);
}

export function adamStep(
  ctx: GpuContext,
  param: BufferBinding,
  grad: BufferBinding,
  m: BufferBinding,
  v: BufferBinding,
  n: number,
  o: AdamOptions,
): void {
  if (n === 0) return;
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  ctx.dispatch(
    adamKernel(),
    [param, grad, m, v],
    {
      n,
      lr: o.lr,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      wd: o.weightDecay,
      decoupled: o.decoupled ? 1 : 0,
      stepSize: o.lr / bc1,
      bc2Sqrt: Math.sqrt(bc2),
    },
    Math.ceil(n / WG),
    `${o.decoupled ? 'adamw' : 'adam'} step [${n}]`,
  );
}
