import type { BufferBinding, GpuContext } from '../context.js';
import { defineKernel, input, memoKernel, output, perElement } from '../kernel.js';

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

/**
 * The updates are a few loads and stores per element, so on CPU adapters
 * what they cost is the memory accesses: parameters whose size is a
 * multiple of 4 are updated a vec4 per invocation. A 4M-element SGD step
 * with momentum (the blog CNN's first linear layer) took 8.9-15.4 ms
 * against 18.3-27.7 one float per invocation on llvmpipe, 43-63 against
 * 122-145 on SwiftShader.
 */
const vec4Fits = (n: number) => n % 4 === 0;
const elementType = (vec4: boolean) => (vec4 ? 'vec4<f32>' : 'f32');

/** The terms of PyTorch's SGD a step uses, compiled in or left out (a uniform branch per term cost 15% on llvmpipe). */
interface SgdTerms {
  weightDecay: boolean;
  momentum: boolean;
  nesterov: boolean;
  /** The first step with momentum: the buffer starts as the gradient. */
  first: boolean;
  vec4: boolean;
}

/** PyTorch's SGD, in place on param and momentum buffer. */
const sgdKernel = memoKernel((t: SgdTerms) =>
  defineKernel({
    name: 'sgd_step',
    config: { ...t },
    bindings: [output('P', elementType(t.vec4)), input('G', elementType(t.vec4)), output('Buf', elementType(t.vec4))],
    params: [
      ['n', 'u32'],
      ['lr', 'f32'],
      ['momentum', 'f32'],
      ['dampening', 'f32'],
      ['wd', 'f32'],
    ],
    workgroupSize: WG,
    body: perElement(
      WG,
      [
        'var g = G[i];',
        ...(t.weightDecay ? ['g = g + p.wd * P[i];'] : []),
        ...(t.momentum
          ? [
              t.first ? 'let b = g;' : 'let b = p.momentum * Buf[i] + (1.0 - p.dampening) * g;',
              'Buf[i] = b;',
              t.nesterov ? 'g = g + p.momentum * b;' : 'g = b;',
            ]
          : []),
        'P[i] = P[i] - p.lr * g;',
      ].join('\n  '),
    ),
  }),
);

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
const adamKernel = memoKernel((vec4: boolean) =>
  defineKernel({
    name: 'adam_step',
    config: { vec4 },
    bindings: [
      output('P', elementType(vec4)),
      input('G', elementType(vec4)),
      output('M', elementType(vec4)),
      output('V', elementType(vec4)),
    ],
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
  }),
);

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
  const vec4 = vec4Fits(n);
  const terms: SgdTerms = {
    weightDecay: o.weightDecay !== 0,
    momentum: o.momentum !== 0,
    nesterov: o.nesterov,
    first: o.firstStep,
    vec4,
  };
  const lanes = vec4 ? n / 4 : n;
  ctx.dispatch(
    sgdKernel(terms),
    [param, grad, buf ?? scratch!],
    { n: lanes, lr: o.lr, momentum: o.momentum, dampening: o.dampening, wd: o.weightDecay },
    Math.ceil(lanes / WG),
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
  const vec4 = vec4Fits(n);
  const lanes = vec4 ? n / 4 : n;
  ctx.dispatch(
    adamKernel(vec4),
    [param, grad, m, v],
    {
      n: lanes,
      lr: o.lr,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      wd: o.weightDecay,
      decoupled: o.decoupled ? 1 : 0,
      stepSize: o.lr / bc1,
      bc2Sqrt: Math.sqrt(bc2),
    },
    Math.ceil(lanes / WG),
    `${o.decoupled ? 'adamw' : 'adam'} step [${n}]`,
  );
}
