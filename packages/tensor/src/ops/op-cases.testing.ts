/**
 * The table of op cases shared by the webgpu-vs-cpu parity tests and the
 * finite-difference gradient checks: awkward shapes (size 1, odd, primes,
 * sizes no 32-wide tile divides), broadcasting in every direction.
 */
import type { Tensor } from '../tensor.js';
import { conv2d } from './conv.js';
import { linear } from './matmul.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, maxPool2dWithIndices } from './pool.js';
import { narrow } from './narrow.js';
import { batchNorm2d } from './norm.js';
import { cat, gather, indexSelect, stack, where } from './select.js';
import { tensor } from './creation.js';

export interface InputSpec {
  shape: number[];
  /** Value range; defaults to a standard normal. 'positive' keeps log/sqrt/div defined; 'awayFromZero' avoids kinks. */
  domain?: 'normal' | 'positive' | 'awayFromZero';
  /** No gradient checked for this input. */
  noGrad?: boolean;
}

export interface OpCase {
  name: string;
  /** Op family, for the per-op error summary. */
  op: string;
  inputs: InputSpec[];
  fn: (...xs: Tensor[]) => Tensor;
  /** Skip finite differences (e.g. too large to be worth it). */
  noGradCheck?: boolean;
  scale?: number;
}

const n = (...shape: number[]): InputSpec => ({ shape });
const pos = (...shape: number[]): InputSpec => ({ shape, domain: 'positive' });
const away = (...shape: number[]): InputSpec => ({ shape, domain: 'awayFromZero' });

export const OP_CASES: OpCase[] = [
  { op: 'add', name: 'add same shape [3,5]', inputs: [n(3, 5), n(3, 5)], fn: (a, b) => a.add(b) },
  { op: 'add', name: 'add broadcast [2,3,4]+[4]', inputs: [n(2, 3, 4), n(4)], fn: (a, b) => a.add(b) },
  { op: 'add', name: 'add broadcast [3,1]+[1,5]', inputs: [n(3, 1), n(1, 5)], fn: (a, b) => a.add(b) },
  { op: 'add', name: 'add broadcast [1]+[13,17]', inputs: [n(1), n(13, 17)], fn: (a, b) => a.add(b) },
  { op: 'add', name: 'add scalar', inputs: [n(7)], fn: (a) => a.add(2.5) },
  { op: 'sub', name: 'sub broadcast [5,1,3]-[2,1]', inputs: [n(5, 1, 3), n(2, 1)], fn: (a, b) => a.sub(b) },
  { op: 'sub', name: 'sub scalar and rsub', inputs: [n(2, 7)], fn: (a) => a.sub(1.5).rsub(3) },
  { op: 'mul', name: 'mul broadcast [7,1]*[7,11]', inputs: [n(7, 1), n(7, 11)], fn: (a, b) => a.mul(b) },
  { op: 'mul', name: 'mul scalar', inputs: [n(1)], fn: (a) => a.mul(-3) },
  { op: 'div', name: 'div broadcast [3,5]/[5]', inputs: [n(3, 5), pos(5)], fn: (a, b) => a.div(b) },
  { op: 'div', name: 'div scalar and rdiv', inputs: [pos(4, 3)], fn: (a) => a.div(7).rdiv(2) },
  { op: 'neg', name: 'neg [1,9]', inputs: [n(1, 9)], fn: (a) => a.neg() },
  { op: 'exp', name: 'exp [13]', inputs: [n(13)], fn: (a) => a.exp() },
  { op: 'log', name: 'log [3,7]', inputs: [pos(3, 7)], fn: (a) => a.log() },
  { op: 'sqrt', name: 'sqrt [17]', inputs: [pos(17)], fn: (a) => a.sqrt() },
  { op: 'abs', name: 'abs [2,5]', inputs: [away(2, 5)], fn: (a) => a.abs() },
  { op: 'pow', name: 'pow 2', inputs: [n(3, 3)], fn: (a) => a.pow(2) },
  { op: 'pow', name: 'pow 3 (negative bases)', inputs: [n(11)], fn: (a) => a.pow(3) },
  { op: 'pow', name: 'pow -1.5', inputs: [pos(6)], fn: (a) => a.pow(-1.5) },
  { op: 'maximum', name: 'maximum broadcast', inputs: [n(4, 5), n(5)], fn: (a, b) => a.maximum(b) },
  { op: 'minimum', name: 'minimum', inputs: [n(3, 7), n(3, 7)], fn: (a, b) => a.minimum(b) },
  { op: 'relu', name: 'relu [5,7]', inputs: [away(5, 7)], fn: (a) => a.relu() },
  {
    op: 'relu',
    name: 'relu [257] (more than one workgroup)',
    inputs: [away(257)],
    fn: (a) => a.relu(),
    noGradCheck: true,
  },
  { op: 'sum', name: 'sum all', inputs: [n(3, 4, 5)], fn: (a) => a.sum() },
  { op: 'sum', name: 'sum dim 0', inputs: [n(7, 3)], fn: (a) => a.sum(0) },
  { op: 'sum', name: 'sum dims [0,2] keepdim', inputs: [n(2, 3, 5)], fn: (a) => a.sum([0, 2], true) },
  { op: 'sum', name: 'sum dim -1', inputs: [n(3, 1, 11)], fn: (a) => a.sum(-1) },
  { op: 'mean', name: 'mean dim 1', inputs: [n(4, 9, 2)], fn: (a) => a.mean(1) },
  { op: 'mean', name: 'mean all', inputs: [n(13)], fn: (a) => a.mean() },
  { op: 'max', name: 'max dim 1', inputs: [n(5, 7)], fn: (a) => a.max(1) },
  { op: 'max', name: 'max dims [0,2] keepdim', inputs: [n(3, 2, 5)], fn: (a) => a.max([0, 2], true) },
  { op: 'max', name: 'max all', inputs: [n(2, 3, 3)], fn: (a) => a.max() },
  {
    op: 'reshape',
    name: 'reshape [6,4]->[3,-1]',
    inputs: [n(6, 4)],
    fn: (a) => a.reshape([3, -1]).mul(a.reshape([3, 8])),
  },
  { op: 'flatten', name: 'flatten from 1', inputs: [n(2, 3, 5)], fn: (a) => a.flatten(1).exp() },
  { op: 'squeeze', name: 'squeeze/unsqueeze', inputs: [n(3, 1, 5)], fn: (a) => a.squeeze(1).unsqueeze(0).exp() },
  { op: 'transpose', name: 'transpose [5,3]', inputs: [n(5, 3)], fn: (a) => a.t().mul(a.t()) },
  { op: 'permute', name: 'permute [2,3,4]->(2,0,1)', inputs: [n(2, 3, 4)], fn: (a) => a.permute([2, 0, 1]).exp() },
  { op: 'expand', name: 'expand [3,1]->[2,3,5]', inputs: [n(3, 1)], fn: (a) => a.expand([2, 3, 5]).exp() },
  { op: 'narrow', name: 'narrow [5,7] dim 1, 2..5', inputs: [n(5, 7)], fn: (a) => narrow(a, 1, 2, 3).exp() },
  {
    op: 'narrow',
    name: 'narrow [4,3,5] dim 0, 1..3 and dim 2, 4..5',
    inputs: [n(4, 3, 5)],
    fn: (a) => narrow(narrow(a, 0, 1, 2), 2, 4, 1).mul(3),
  },
  { op: 'matmul', name: 'matmul [1,1]x[1,1]', inputs: [n(1, 1), n(1, 1)], fn: (a, b) => a.matmul(b) },
  { op: 'matmul', name: 'matmul [7,13]x[13,5]', inputs: [n(7, 13), n(13, 5)], fn: (a, b) => a.matmul(b) },
  {
    op: 'matmul',
    name: 'matmul [37,65]x[65,33] (no tile divides)',
    inputs: [n(37, 65), n(65, 33)],
    fn: (a, b) => a.matmul(b),
    noGradCheck: true,
  },
  { op: 'matmul', name: 'matmul batched [3,6,5]x[3,5,4]', inputs: [n(3, 6, 5), n(3, 5, 4)], fn: (a, b) => a.matmul(b) },
  {
    op: 'matmul',
    name: 'matmul broadcast [2,1,5,3]x[4,3,2]',
    inputs: [n(2, 1, 5, 3), n(4, 3, 2)],
    fn: (a, b) => a.matmul(b),
  },
  { op: 'matmul', name: 'matmul [3,4,5]x[5,2] (shared rhs)', inputs: [n(3, 4, 5), n(5, 2)], fn: (a, b) => a.matmul(b) },
  { op: 'matmul', name: 'matmul vector·matrix', inputs: [n(5), n(5, 3)], fn: (a, b) => a.matmul(b) },
  { op: 'matmul', name: 'matmul matrix·vector', inputs: [n(4, 5), n(5)], fn: (a, b) => a.matmul(b) },
  { op: 'matmul', name: 'matmul vector·vector', inputs: [n(7), n(7)], fn: (a, b) => a.matmul(b) },
  { op: 'softmax', name: 'softmax last dim [4,7]', inputs: [n(4, 7)], fn: (a) => a.softmax() },
  { op: 'softmax', name: 'softmax dim 0 [3,5]', inputs: [n(3, 5)], fn: (a) => a.softmax(0) },
  {
    op: 'softmax',
    name: 'softmax logits 100±30',
    inputs: [n(3, 10)],
    fn: (a) => a.mul(30).add(100).softmax(),
    noGradCheck: true,
  },
  { op: 'logSoftmax', name: 'logSoftmax [5,3]', inputs: [n(5, 3)], fn: (a) => a.logSoftmax() },
  { op: 'logSoftmax', name: 'logSoftmax dim 1 of [2,3,4]', inputs: [n(2, 3, 4)], fn: (a) => a.logSoftmax(1) },
  {
    op: 'logSoftmax',
    name: 'logSoftmax logits 100±30',
    inputs: [n(4, 10)],
    fn: (a) => a.mul(30).add(100).logSoftmax(),
    noGradCheck: true,
  },
  {
    op: 'conv2d',
    name: 'conv2d 3x3 pad 1 with bias',
    inputs: [n(2, 3, 7, 6), n(5, 3, 3, 3), n(5)],
    fn: (x, w, b) => conv2d(x, w, b, { padding: 1 }),
  },
  {
    op: 'conv2d',
    name: 'conv2d 5x5 stride 2 pad 2, no bias',
    inputs: [n(1, 2, 9, 8), n(3, 2, 5, 5)],
    fn: (x, w) => conv2d(x, w, null, { stride: 2, padding: 2 }),
  },
  { op: 'conv2d', name: 'conv2d 1x1', inputs: [n(3, 4, 3, 5), n(7, 4, 1, 1), n(7)], fn: (x, w, b) => conv2d(x, w, b) },
  {
    op: 'conv2d',
    name: 'conv2d 3x1 stride (2,1) pad (1,0)',
    inputs: [n(2, 3, 8, 5), n(4, 3, 3, 1)],
    fn: (x, w) => conv2d(x, w, null, { stride: [2, 1], padding: [1, 0] }),
  },
  {
    op: 'conv2d',
    name: 'conv2d 32->64-like (16 channels, 8x8)',
    inputs: [n(2, 16, 8, 8), n(16, 16, 3, 3), n(16)],
    fn: (x, w, b) => conv2d(x, w, b, { padding: 1 }),
    noGradCheck: true,
  },
  { op: 'maxPool2d', name: 'maxPool2d 2x2', inputs: [n(2, 3, 6, 8)], fn: (x) => maxPool2d(x, 2) },
  {
    op: 'maxPool2d',
    name: 'maxPool2d 3x3 stride 2 pad 1 (overlapping)',
    inputs: [n(1, 2, 7, 9)],
    fn: (x) => maxPool2d(x, 3, 2, 1),
  },
  {
    op: 'maxPool2d',
    name: 'maxPool2d odd size 2x2 (drops the last row/col)',
    inputs: [n(3, 7, 5)],
    fn: (x) => maxPool2d(x, 2),
  },
  {
    op: 'maxPool2d',
    name: 'maxPool2dWithIndices output 3x3 stride 2',
    inputs: [n(1, 2, 7, 9)],
    fn: (x) => maxPool2dWithIndices(x, 3, 2).output,
  },
  {
    op: 'cat',
    name: 'cat dim 0 [2,3]+[1,3]+[4,3]',
    inputs: [n(2, 3), n(1, 3), n(4, 3)],
    fn: (a, b, c) => cat([a!, b!, c!], 0),
  },
  { op: 'cat', name: 'cat dim 1 [2,3,5]+[2,1,5]', inputs: [n(2, 3, 5), n(2, 1, 5)], fn: (a, b) => cat([a!, b!], 1) },
  { op: 'cat', name: 'cat last dim [3,2]+[3,7]', inputs: [n(3, 2), n(3, 7)], fn: (a, b) => cat([a!, b!], -1) },
  {
    op: 'stack',
    name: 'stack dim 1 of three [4,3]',
    inputs: [n(4, 3), n(4, 3), n(4, 3)],
    fn: (a, b, c) => stack([a!, b!, c!], 1),
  },
  {
    op: 'where',
    name: 'where [3,5] mask, [3,5] and broadcast [5]',
    inputs: [n(3, 5), n(5)],
    fn: (a, b) => where(a!.gt(a!.mul(0)), a!.mul(2), b!),
  },
  // Indices built on the input's device (the graph keeps them).
  {
    op: 'gather',
    name: 'gather dim 1 [3,4] by [3,5] (repeats)',
    inputs: [n(3, 4)],
    fn: (a) =>
      gather(
        a!,
        1,
        tensor(Int32Array.of(0, 3, 3, 1, 2, 2, 2, 0, 1, 3, 1, 1, 0, 0, 3), { shape: [3, 5], device: a!.device }),
      ),
  },
  {
    op: 'gather',
    name: 'gather dim 0 [4,2,3] by [2,2,3]',
    inputs: [n(4, 2, 3)],
    fn: (a) =>
      gather(a!, 0, tensor(Int32Array.of(3, 0, 1, 1, 1, 2, 0, 0, 0, 3, 2, 1), { shape: [2, 2, 3], device: a!.device })),
  },
  {
    op: 'indexSelect',
    name: 'indexSelect dim 1 of [2,5,3] at [4,0,4,2]',
    inputs: [n(2, 5, 3)],
    fn: (a) => indexSelect(a!, 1, tensor(Int32Array.of(4, 0, 4, 2), { device: a!.device })),
  },
  { op: 'avgPool2d', name: 'avgPool2d 2x2', inputs: [n(2, 3, 6, 8)], fn: (x) => avgPool2d(x, 2) },
  { op: 'avgPool2d', name: 'avgPool2d 3x3 stride 2 pad 1', inputs: [n(1, 2, 7, 9)], fn: (x) => avgPool2d(x, 3, 2, 1) },
  {
    op: 'avgPool2d',
    name: 'avgPool2d 3x2 stride [1,2] pad 1 excluding padding',
    inputs: [n(2, 5, 7)],
    fn: (x) => avgPool2d(x, [3, 2], [1, 2], 1, { countIncludePad: false }),
  },
  {
    op: 'adaptiveAvgPool2d',
    name: 'adaptiveAvgPool2d 7x10 -> 3x4',
    inputs: [n(2, 3, 7, 10)],
    fn: (x) => adaptiveAvgPool2d(x, [3, 4]),
  },
  {
    op: 'adaptiveAvgPool2d',
    name: 'adaptiveAvgPool2d 6x6 -> 1 (global)',
    inputs: [n(2, 3, 6, 6)],
    fn: (x) => adaptiveAvgPool2d(x, 1),
  },
  // Batch norm: the batch statistics' gradients (through mean and variance)
  // are what finite differences check; 3x5 planes and 67 per channel do not
  // fill a 64-wide workgroup evenly, 2x7x9x11 spans several strides.
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [2,3,3,5] affine',
    inputs: [n(2, 3, 3, 5), n(3), n(3)],
    fn: (x, w, b) => batchNorm2d(x, null, null, w, b, { training: true }),
  },
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [1,4,1,67] no affine, eps 1e-3',
    inputs: [n(1, 4, 1, 67)],
    fn: (x) => batchNorm2d(x, null, null, null, null, { training: true, eps: 1e-3 }),
  },
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [2,7,9,11] + fused relu',
    inputs: [n(2, 7, 9, 11), n(7), n(7)],
    fn: (x, w, b) => batchNorm2d(x, null, null, w, b, { training: true, relu: true }),
    noGradCheck: true,
  },
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [3,2,2,2] + fused relu',
    inputs: [n(3, 2, 2, 2), n(2), n(2)],
    fn: (x, w, b) => batchNorm2d(x, null, null, w, b, { training: true, relu: true }),
  },
  // 300-element planes: each lane of the elementwise passes takes 4 positions of a plane, of the sums' first step 4 x 16 images.
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [5,3,15,20] + fused relu',
    inputs: [n(5, 3, 15, 20), n(3), n(3)],
    fn: (x, w, b) => batchNorm2d(x, null, null, w, b, { training: true, relu: true }),
    noGradCheck: true,
  },
  // 1x1 planes: the channel reductions step through images one value at a time (their 8-lane runs cross 8 images).
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [11,3,1,1] affine',
    inputs: [n(11, 3, 1, 1), n(3), n(3)],
    fn: (x, w, b) => batchNorm2d(x, null, null, w, b, { training: true }),
  },
  // 40 images of 3x3: blocks of 16 images (the last one partial) in the elementwise passes.
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [40,2,3,3] affine',
    inputs: [n(40, 2, 3, 3), n(2), n(2)],
    fn: (x, w, b) => batchNorm2d(x, null, null, w, b, { training: true }),
    noGradCheck: true,
  },
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d eval [2,3,4,5] running statistics',
    inputs: [n(2, 3, 4, 5), { shape: [3], noGrad: true }, { shape: [3], domain: 'positive', noGrad: true }, n(3), n(3)],
    fn: (x, m, v, w, b) => batchNorm2d(x, m, v, w, b, { training: false }),
  },
  // A ResNet block's relu(bn2(out) + shortcut) in one pass: the residual's gradient is g, or g masked by the output.
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [2,3,3,5] + residual',
    inputs: [n(2, 3, 3, 5), n(3), n(3), n(2, 3, 3, 5)],
    fn: (x, w, b, r) => batchNorm2d(x, null, null, w, b, { training: true, residual: r }),
  },
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [3,2,2,2] + residual + fused relu',
    inputs: [n(3, 2, 2, 2), n(2), n(2), n(3, 2, 2, 2)],
    fn: (x, w, b, r) => batchNorm2d(x, null, null, w, b, { training: true, relu: true, residual: r }),
  },
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d train [5,3,15,20] + residual + fused relu',
    inputs: [n(5, 3, 15, 20), n(3), n(3), n(5, 3, 15, 20)],
    fn: (x, w, b, r) => batchNorm2d(x, null, null, w, b, { training: true, relu: true, residual: r }),
    noGradCheck: true,
  },
  {
    op: 'batchNorm2d',
    name: 'batchNorm2d eval [2,3,4,5] + residual + fused relu',
    inputs: [
      n(2, 3, 4, 5),
      { shape: [3], noGrad: true },
      { shape: [3], domain: 'positive', noGrad: true },
      n(3),
      n(3),
      n(2, 3, 4, 5),
    ],
    fn: (x, m, v, w, b, r) => batchNorm2d(x, m, v, w, b, { training: false, relu: true, residual: r }),
    noGradCheck: true,
  },
  {
    op: 'linear',
    name: 'linear with bias [5,7]->[5,3]',
    inputs: [n(5, 7), n(3, 7), n(3)],
    fn: (x, w, b) => linear(x, w, b),
  },
  {
    op: 'linear',
    name: 'linear [2,3,8]->[2,3,4] (vec4 path), no bias',
    inputs: [n(2, 3, 8), n(4, 8)],
    fn: (x, w) => linear(x, w),
  },
  {
    op: 'linear',
    name: 'linear [33,64]->[33,10] with bias',
    inputs: [n(33, 64), n(10, 64), n(10)],
    fn: (x, w, b) => linear(x, w, b),
    noGradCheck: true,
  },
  {
    op: 'composite',
    name: 'conv-relu-pool-linear chain',
    inputs: [n(2, 3, 8, 8), n(4, 3, 3, 3), n(4), n(5, 64), n(5)],
    fn: (x, w, b, lw, lb) =>
      linear(maxPool2d(conv2d(x, w, b, { padding: 1 }).relu(), 2).flatten(1), lw, lb).logSoftmax(),
    noGradCheck: true,
  },
  {
    op: 'composite',
    name: 'mlp-like chain',
    inputs: [n(6, 5), n(5, 4), n(4)],
    fn: (x, w, b) => x.matmul(w).add(b).relu().logSoftmax().mean(),
    noGradCheck: true,
  },
  // Appended last: a case's index seeds its inputs, so earlier cases keep theirs.
  { op: 'sigmoid', name: 'sigmoid [5,7]', inputs: [n(5, 7)], fn: (a) => a.sigmoid() },
  {
    op: 'sigmoid',
    name: 'sigmoid at +-60 (saturated, finite)',
    inputs: [n(9)],
    fn: (a) => a.mul(60).sigmoid(),
    noGradCheck: true,
  },
  { op: 'tanh', name: 'tanh [3,11]', inputs: [n(3, 11)], fn: (a) => a.tanh() },
  { op: 'tanh', name: 'tanh at +-80 (no inf / inf)', inputs: [n(9)], fn: (a) => a.mul(80).tanh(), noGradCheck: true },
  { op: 'leakyRelu', name: 'leakyRelu [4,9] slope 0.1', inputs: [away(4, 9)], fn: (a) => a.leakyRelu(0.1) },
  { op: 'gelu', name: 'gelu [3,11]', inputs: [n(3, 11)], fn: (a) => a.gelu() },
  { op: 'gelu', name: 'gelu at +-12 (tails)', inputs: [n(2, 5)], fn: (a) => a.mul(6).gelu(), noGradCheck: true },
  {
    op: 'clamp',
    name: 'clamp [6,5] to [-0.5, 0.7]',
    inputs: [away(6, 5)],
    fn: (a) => a.clamp(-0.5, 0.7).mul(a),
    noGradCheck: true,
  },
  { op: 'clamp', name: 'clamp [13] min only', inputs: [away(13)], fn: (a) => a.clamp(0.3).exp(), noGradCheck: true },
];

/** Deterministic input values for a spec. */
export function inputValues(spec: InputSpec, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = next();
    const v = next();
    const z = Math.sqrt(-2 * Math.log(u + 1e-12)) * Math.cos(2 * Math.PI * v);
    if (spec.domain === 'positive') out[i] = 0.5 + 2 * next();
    else if (spec.domain === 'awayFromZero') out[i] = (0.2 + Math.abs(z)) * (next() < 0.5 ? -1 : 1);
    else out[i] = z;
  }
  return out;
}
