import type { BufferBinding, GpuContext } from '../context.js';
import { input, output } from '../kernel.js';
import type { ConvForwardPass } from './conv2d-row-loads.js';
import { CONV_PARAMS } from './window.js';
import type { ParamSpec } from '../params.js';
import type { Conv2dShape } from './window.js';
import { type TiledGemmConfig, tiledGemmKernel, tiledGrid } from './tiled-gemm.js';

/**
 * The three convolution passes as implicit GEMMs on the workgroup-memory
 * tiled template (the GPU-shaped kernels). The im2col matrix is never
 * written: its elements are gathered from the NCHW tensors as the tiles load.
 *
 *   forward  Y[co, (n,oy,ox)]     = W[co, (ci,ky,kx)] · im2col(X)[(ci,ky,kx), (n,oy,ox)]
 *   dInput   dX[ci, (n,iy,ix)]    = Wᵀ[ci, (co,ky,kx)] · scatter(dY)[(co,ky,kx), (n,iy,ix)]
 *   dWeight  dW[co, (ci,ky,kx)]   = dY[co, (n,oy,ox)] · im2col(X)ᵀ[(n,oy,ox), (ci,ky,kx)]
 *
 * Any stride and padding. The weight gradient reduces over the whole batch
 * and image (K = n·oh·ow) and has few output blocks, so it splits K into
 * chunks written as partial gradients that the caller sums.
 */
const GEOMETRY: ParamSpec = [...CONV_PARAMS, ['hasBias', 'u32']];

/** x[n, c, oy*sh - ph + ky, ox*sw - pw + kx], zero in the padding. */
const GATHER_X = `
fn gatherX(nn: u32, c: u32, oy: u32, ox: u32, ky: u32, kx: u32) -> f32 {
  let iy = i32(oy * p.sh + ky) - i32(p.ph);
  let ix = i32(ox * p.sw + kx) - i32(p.pw);
  let ok = (iy >= 0) & (iy < i32(p.h)) & (ix >= 0) & (ix < i32(p.w));
  let at = ((nn * p.ci + c) * p.h + u32(clamp(iy, 0, i32(p.h) - 1))) * p.w + u32(clamp(ix, 0, i32(p.w) - 1));
  return select(0.0, X[at], ok);
}`;

const forwardKernel = (c: TiledGemmConfig) =>
  tiledGemmKernel({
    name: 'conv2d_gemm_forward',
    config: c,
    splitK: false,
    bindings: [input('X'), input('Wt'), input('Bias'), output('Y')],
    params: GEOMETRY,
    functions: `${GATHER_X}
fn loadA(z: u32, row: u32, k: u32) -> f32 { return Wt[row * p.gk + k]; }
fn loadB(z: u32, k: u32, col: u32) -> f32 {
  let khw = p.kh * p.kw;
  let r = k % khw;
  let ohw = p.oh * p.ow;
  let pix = col % ohw;
  return gatherX(col / ohw, k / khw, pix / p.ow, pix % p.ow, r / p.kw, r % p.kw);
}
fn storeC(z: u32, row: u32, col: u32, v: f32) {
  let ohw = p.oh * p.ow;
  Y[((col / ohw) * p.co + row) * ohw + col % ohw] = v + select(0.0, Bias[row], p.hasBias != 0u);
}`,
  });

const inputGradKernel = (c: TiledGemmConfig) =>
  tiledGemmKernel({
    name: 'conv2d_gemm_input_grad',
    config: c,
    splitK: false,
    bindings: [input('G'), input('Wt'), output('DX')],
    params: GEOMETRY,
    functions: `
fn loadA(z: u32, row: u32, k: u32) -> f32 {
  let khw = p.kh * p.kw;
  return Wt[((k / khw) * p.ci + row) * khw + k % khw];
}
fn loadB(z: u32, k: u32, col: u32) -> f32 {
  // dy[n, o, oy, ox] where oy*sh - ph + ky = iy and ox*sw - pw + kx = ix.
  let khw = p.kh * p.kw;
  let r = k % khw;
  let hw = p.h * p.w;
  let pix = col % hw;
  let ty = i32(pix / p.w + p.ph) - i32(r / p.kw);
  let tx = i32(pix % p.w + p.pw) - i32(r % p.kw);
  let uy = u32(max(ty, 0));
  let ux = u32(max(tx, 0));
  let oy = uy / p.sh;
  let ox = ux / p.sw;
  let ok = (ty >= 0) & (tx >= 0) & (uy % p.sh == 0u) & (ux % p.sw == 0u) & (oy < p.oh) & (ox < p.ow);
  let at = (((col / hw) * p.co + k / khw) * p.oh + min(oy, p.oh - 1u)) * p.ow + min(ox, p.ow - 1u);
  return select(0.0, G[at], ok);
}
fn storeC(z: u32, row: u32, col: u32, v: f32) {
  let hw = p.h * p.w;
  DX[((col / hw) * p.ci + row) * hw + col % hw] = v;
}`,
  });

const weightGradKernel = (c: TiledGemmConfig) =>
  tiledGemmKernel({
    name: 'conv2d_gemm_weight_grad',
    config: c,
    splitK: true,
    bindings: [input('X'), input('G'), output('DW')],
    params: GEOMETRY,
    functions: `${GATHER_X}
fn loadA(z: u32, row: u32, k: u32) -> f32 {
  let ohw = p.oh * p.ow;
  return G[((k / ohw) * p.co + row) * ohw + k % ohw];
}
fn loadB(z: u32, k: u32, col: u32) -> f32 {
  let khw = p.kh * p.kw;
  let r = col % khw;
  let ohw = p.oh * p.ow;
  let pix = k % ohw;
  return gatherX(k / ohw, col / khw, pix / p.ow, pix % p.ow, r / p.kw, r % p.kw);
}
fn storeC(z: u32, row: u32, col: u32, v: f32) { DW[(z * p.gm + row) * p.gn + col] = v; }`,
  });

function geometry(s: Conv2dShape, oh: number, ow: number, hasBias: boolean) {
  return { ...s, oh, ow, hasBias: hasBias ? 1 : 0 };
}

type GemmForwardArgs = [oh: number, ow: number, c: TiledGemmConfig, label: string];
export const conv2dGemmForward: ConvForwardPass<GemmForwardArgs> = (ctx, x, w, bias, y, s, oh, ow, c, label) => {
  const m = s.co;
  const n = s.n * oh * ow;
  const k = s.ci * s.kh * s.kw;
  ctx.dispatch(
    forwardKernel(c),
    [x, w, bias ?? w, y],
    { gm: m, gn: n, gk: k, kChunk: k, ...geometry(s, oh, ow, bias !== null) },
    tiledGrid(c, m, n, 1),
    label,
  );
};

export function conv2dGemmInputGrad(
  ctx: GpuContext,
  dy: BufferBinding,
  w: BufferBinding,
  dx: BufferBinding,
  s: Conv2dShape,
  oh: number,
  ow: number,
  c: TiledGemmConfig,
  label: string,
): void {
  const m = s.ci;
  const n = s.n * s.h * s.w;
  const k = s.co * s.kh * s.kw;
  ctx.dispatch(
    inputGradKernel(c),
    [dy, w, dx],
    { gm: m, gn: n, gk: k, kChunk: k, ...geometry(s, oh, ow, false) },
    tiledGrid(c, m, n, 1),
    label,
  );
}

/** Workgroups one K chunk of the weight gradient occupies. */
export const gemmWeightGradBlocks = (s: Conv2dShape, c: TiledGemmConfig) =>
  Math.ceil(s.co / c.bm) * Math.ceil((s.ci * s.kh * s.kw) / c.bn);

/** Partial weight gradients [splits, co, ci, kh, kw], K = n·oh·ow split into `splits` chunks. */
export function conv2dGemmWeightGrad(
  ctx: GpuContext,
  x: BufferBinding,
  dy: BufferBinding,
  partial: BufferBinding,
  s: Conv2dShape,
  oh: number,
  ow: number,
  splits: number,
  c: TiledGemmConfig,
  label: string,
): void {
  const m = s.co;
  const n = s.ci * s.kh * s.kw;
  const k = s.n * oh * ow;
  ctx.dispatch(
    weightGradKernel(c),
    [x, dy, partial],
    { gm: m, gn: n, gk: k, kChunk: Math.ceil(k / splits), ...geometry(s, oh, ow, false) },
    tiledGrid(c, m, n, splits),
    label,
  );
}
