import type { BufferBinding, GpuContext } from '../context.js';
import { type Window2d, WINDOW_PARAMS, windowOutSize } from './window.js';
import {
  type BindingSpec,
  defineKernel,
  type Kernel,
  elementEntry,
  input,
  memoKernel,
  output,
  SPECIAL_FLOATS,
} from '../kernel.js';

/** Geometry of a 2-D max pool over NCHW planes (n*c planes of h x w). */
export interface Pool2dShape extends Window2d {
  planes: number;
}

export function poolOutSize(s: Pool2dShape): { oh: number; ow: number } {
  return windowOutSize(s);
}

const WG = 64;
const GEOMETRY = [['total', 'u32'], ...WINDOW_PARAMS] as const;

/**
 * The pooling passes' one shape: an invocation per element `lane` of what
 * the pass writes (p.total of them), the geometry as uniforms.
 */
const poolKernel = (name: string, bindings: BindingSpec[], lane: string, body: string) =>
  defineKernel({
    name,
    bindings,
    params: GEOMETRY,
    workgroupSize: WG,
    body: `${SPECIAL_FLOATS}
${elementEntry(WG, lane, 'p.total', body)}`,
  });

/** WGSL: output element o's window (ox, oy) and its plane. */
const WINDOW_OF_O = `let ox = o % p.ow;
  let oy = (o / p.ow) % p.oh;
  let plane = o / (p.ow * p.oh);`;

const forwardKernel = memoKernel(() =>
  poolKernel(
    'maxpool2d_forward',
    [input('X'), output('Y'), output('Idx', 'i32')],
    'o',
    `
  ${WINDOW_OF_O}
  let base = plane * p.h * p.w;
  // Padding counts as -inf. Scanning in row-major window order and taking
  // only a strictly larger value keeps the first maximum, PyTorch's tie
  // rule; a NaN wins, as in PyTorch's kernels.
  var best = -f32_inf();
  var arg = -1;
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = i32(oy * p.sh + ky) - i32(p.ph);
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = i32(ox * p.sw + kx) - i32(p.pw);
      if (ix < 0 || ix >= i32(p.w)) { continue; }
      let at = u32(iy) * p.w + u32(ix);
      let v = X[base + at];
      if (arg < 0 || v > best || is_nan(v)) {
        best = v;
        arg = i32(at);
      }
    }
  }
  Y[o] = best;
  Idx[o] = arg;`,
  ),
);

const GRADIENT_BINDINGS: BindingSpec[] = [input('G'), input('Idx', 'i32'), output('DX')];

const backwardKernel = memoKernel(() =>
  poolKernel(
    'maxpool2d_backward',
    GRADIENT_BINDINGS,
    'i',
    `
  // Gather: each input element sums the gradients of the windows whose
  // argmax it is. No two invocations write one element, so overlapping
  // windows add up without atomics, in a fixed order.
  let ix = i % p.w;
  let iy = (i / p.w) % p.h;
  let plane = i / (p.w * p.h);
  let at = i32(iy * p.w + ix);
  // Windows containing iy: oy*sh - ph <= iy <= oy*sh - ph + kh - 1.
  let y1 = min((iy + p.ph) / p.sh, p.oh - 1u);
  let y0 = select(0u, (iy + p.ph - p.kh + 1u + p.sh - 1u) / p.sh, iy + p.ph + 1u > p.kh);
  let x1 = min((ix + p.pw) / p.sw, p.ow - 1u);
  let x0 = select(0u, (ix + p.pw - p.kw + 1u + p.sw - 1u) / p.sw, ix + p.pw + 1u > p.kw);
  var acc = 0.0;
  let obase = plane * p.oh * p.ow;
  for (var oy = y0; oy <= y1; oy++) {
    for (var ox = x0; ox <= x1; ox++) {
      let o = obase + oy * p.ow + ox;
      if (Idx[o] == at) { acc += G[o]; }
    }
  }
  DX[i] = acc;`,
  ),
);

/**
 * The backward for windows that tile the input exactly (kernel = stride, no
 * padding, sizes divisible: the blog's 2x2 / 2): one invocation per window
 * reads its gradient and argmax once and writes the whole window, the
 * gradient at the argmax and zeros elsewhere. Windows are disjoint, so no
 * element is written twice; no search over covering windows per element.
 */
const backwardTilesKernel = memoKernel(() =>
  poolKernel(
    'maxpool2d_backward_tiles',
    GRADIENT_BINDINGS,
    'o',
    `
  ${WINDOW_OF_O}
  let g = G[o];
  let arg = Idx[o];
  let base = plane * p.h * p.w;
  for (var ky = 0u; ky < p.kh; ky++) {
    let row = (oy * p.kh + ky) * p.w + ox * p.kw;
    for (var kx = 0u; kx < p.kw; kx++) {
      DX[base + row + kx] = select(0.0, g, i32(row + kx) == arg);
    }
  }`,
  ),
);

/**
 * The blog's 2x2 / 2 windows over rows of a multiple of 4: one invocation
 * per pair of neighbouring windows reads two vec4s (their two input rows)
 * and writes both outputs and argmaxes as vec2s, straight-line. The
 * general kernel's loops, bounds checks and one-float loads took 52-54 ms
 * on SwiftShader for the blog CNN's first pool (2048 planes of 32x32)
 * where this takes 7.5-7.9 (llvmpipe: 6.4-9.1 against 2.0-2.1).
 */
const PAIR_PARAMS = [
  ['pairs', 'u32'],
  ['w4', 'u32'],
  ['h', 'u32'],
  ['w', 'u32'],
] as const;

/** WGSL: pair o2's two input rows start at vec4 `r0` and `r0 + p.w4`; `at` is its first element's flat position in the plane. */
const PAIR_OF_O2 = `let ox4 = o2 % p.w4;
  let row = o2 / p.w4;
  let r0 = 2u * row * p.w4 + ox4;
  let at = i32(((2u * row) % p.h) * p.w + 4u * ox4);`;

const forwardPairsKernel = memoKernel(() =>
  defineKernel({
    name: 'maxpool2d_forward_2x2_pairs',
    bindings: [input('X', 'vec4<f32>'), output('Y', 'vec2<f32>'), output('Idx', 'vec2<i32>')],
    params: PAIR_PARAMS,
    workgroupSize: WG,
    body: `${SPECIAL_FLOATS}
// The general kernel's scan: row-major, a strictly larger value or a NaN replaces the best.
fn window(a: f32, b: f32, c: f32, d: f32, at: i32, w: i32) -> vec2<f32> {
  var best = a;
  var arg = at;
  ${[
    ['b', 'at + 1'],
    ['c', 'at + w'],
    ['d', 'at + w + 1'],
  ]
    .map(
      ([v, a]) =>
        `let take${v} = (${v} > best) | is_nan(${v});
  best = select(best, ${v}, take${v});
  arg = select(arg, ${a}, take${v});`,
    )
    .join('\n  ')}
  return vec2<f32>(best, bitcast<f32>(arg));
}
${elementEntry(
  WG,
  'o2',
  'p.pairs',
  `
  ${PAIR_OF_O2}
  let top = X[r0];
  let bottom = X[r0 + p.w4];
  let left = window(top.x, top.y, bottom.x, bottom.y, at, i32(p.w));
  let right = window(top.z, top.w, bottom.z, bottom.w, at + 2, i32(p.w));
  Y[o2] = vec2<f32>(left.x, right.x);
  Idx[o2] = vec2<i32>(bitcast<i32>(left.y), bitcast<i32>(right.y));`,
)}`,
  }),
);

/** The backward of forwardPairsKernel's windows: each pair's gradients and argmaxes in, its two input rows out as vec4s. */
const backwardPairsKernel = memoKernel(() =>
  defineKernel({
    name: 'maxpool2d_backward_2x2_pairs',
    bindings: [input('G', 'vec2<f32>'), input('Idx', 'vec2<i32>'), output('DX', 'vec4<f32>')],
    params: PAIR_PARAMS,
    workgroupSize: WG,
    body: elementEntry(
      WG,
      'o2',
      'p.pairs',
      `
  ${PAIR_OF_O2}
  let g = G[o2];
  let arg = Idx[o2];
  let w = i32(p.w);
  DX[r0] = vec4<f32>(
    select(0.0, g.x, arg.x == at), select(0.0, g.x, arg.x == at + 1),
    select(0.0, g.y, arg.y == at + 2), select(0.0, g.y, arg.y == at + 3));
  DX[r0 + p.w4] = vec4<f32>(
    select(0.0, g.x, arg.x == at + w), select(0.0, g.x, arg.x == at + w + 1),
    select(0.0, g.y, arg.y == at + w + 2), select(0.0, g.y, arg.y == at + w + 3));`,
    ),
  }),
);

/** 2x2 windows that tile rows of a multiple of 4 exactly: the pair kernels. */
const pairs2x2 = (s: Pool2dShape, oh: number, ow: number) =>
  tilesExactly(s, oh, ow) && s.kh === 2 && s.kw === 2 && s.w % 4 === 0;

/** Dispatches a pair kernel over geometry s's windows (two an invocation). */
function dispatchPairs(
  ctx: GpuContext,
  kernel: Kernel,
  buffers: BufferBinding[],
  s: Pool2dShape,
  windows: number,
  name: string,
): void {
  const pairs = windows / 2;
  ctx.dispatch(kernel, buffers, { pairs, w4: s.w / 4, h: s.h, w: s.w }, Math.ceil(pairs / WG), name);
}

/** Windows that cover the input exactly once each. */
const tilesExactly = (s: Pool2dShape, oh: number, ow: number) =>
  s.kh === s.sh && s.kw === s.sw && s.ph === 0 && s.pw === 0 && oh * s.kh === s.h && ow * s.kw === s.w;

function check(s: Pool2dShape): { oh: number; ow: number } {
  const out = poolOutSize(s);
  if (2 * s.ph > s.kh || 2 * s.pw > s.kw) {
    throw new Error(`maxPool2d: padding (${s.ph}, ${s.pw}) must be at most half the kernel size (${s.kh}, ${s.kw})`);
  }
  if (out.oh <= 0 || out.ow <= 0) {
    throw new Error(`maxPool2d: input ${s.h}x${s.w} is smaller than the ${s.kh}x${s.kw} window`);
  }
  return out;
}

const label = (op: string, s: Pool2dShape) =>
  `${op} [${s.planes} planes, ${s.h}x${s.w}] k${s.kh}x${s.kw} s${s.sh}x${s.sw} p${s.ph}x${s.pw}`;

/** y and argmax indices (int32, flat h*w position in the plane, like PyTorch's return_indices). */
export function maxPool2dForward(
  ctx: GpuContext,
  x: BufferBinding,
  y: BufferBinding,
  idx: BufferBinding,
  s: Pool2dShape,
): void {
  const { oh, ow } = check(s);
  const total = s.planes * oh * ow;
  if (total === 0) return;
  if (pairs2x2(s, oh, ow)) {
    dispatchPairs(ctx, forwardPairsKernel(), [x, y, idx], s, total, label('maxPool2d', s));
    return;
  }
  ctx.dispatch(forwardKernel(), [x, y, idx], { ...s, oh, ow, total }, Math.ceil(total / WG), label('maxPool2d', s));
}

/** dx from dy and the forward's indices. */
export function maxPool2dBackward(
  ctx: GpuContext,
  dy: BufferBinding,
  idx: BufferBinding,
  dx: BufferBinding,
  s: Pool2dShape,
): void {
  const { oh, ow } = check(s);
  const windows = s.planes * oh * ow;
  if (pairs2x2(s, oh, ow)) {
    if (windows === 0) return;
    dispatchPairs(ctx, backwardPairsKernel(), [dy, idx, dx], s, windows, label('maxPool2d backward', s));
    return;
  }
  if (tilesExactly(s, oh, ow)) {
    if (windows === 0) return;
    ctx.dispatch(
      backwardTilesKernel(),
      [dy, idx, dx],
      { ...s, oh, ow, total: windows },
      Math.ceil(windows / WG),
      label('maxPool2d backward', s),
    );
    return;
  }
  const total = s.planes * s.h * s.w;
  if (total === 0) return;
  ctx.dispatch(
    backwardKernel(),
    [dy, idx, dx],
    { ...s, oh, ow, total },
    Math.ceil(total / WG),
    label('maxPool2d backward', s),
  );
}
