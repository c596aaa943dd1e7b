import type { BufferBinding, GpuContext } from '../context.js';
import { type Window2d, WINDOW_PARAMS, windowOutSize } from './window.js';
import { type BindingSpec, defineKernel, elementEntry, input, output, SPECIAL_FLOATS } from '../kernel.js';

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

const forwardKernel = () =>
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
  );

const GRADIENT_BINDINGS: BindingSpec[] = [input('G'), input('Idx', 'i32'), output('DX')];

const backwardKernel = () =>
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
  );

/**
 * The backward for windows that tile the input exactly (kernel = stride, no
 * padding, sizes divisible: the blog's 2x2 / 2): one invocation per window
 * reads its gradient and argmax once and writes the whole window, the
 * gradient at the argmax and zeros elsewhere. Windows are disjoint, so no
 * element is written twice; no search over covering windows per element.
 */
const backwardTilesKernel = () =>
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
  );

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
  if (tilesExactly(s, oh, ow)) {
    const windows = s.planes * oh * ow;
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
