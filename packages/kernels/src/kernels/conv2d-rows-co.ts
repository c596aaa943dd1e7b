import { defineKernel, input, output, range } from '../kernel.js';
import { inputRowLoads, rowTileStart, type Stride1Pass, STRIDE1_PARAMS } from './conv2d-row-loads.js';

/**
 * Stride-1 direct convolution for CPU adapters with the output channels in
 * the vector lanes: the weights are first laid out as WT[ci][tap][co]
 * (padded to whole vec4s), so one uniform vec4 load brings a tap's weights
 * for 4 output channels, and each input value is splatted once and feeds
 * `tco`/4 vec4 FMAs. An invocation computes `r` output rows x 4 pixels x
 * `tco` channels (the same work as the rows kernel, with a quarter of the
 * weight loads and no per-tap weight splats). Like the rows kernel it
 * addresses the weight through strides, so it also computes the input
 * gradient (flipped weight, channels swapped). It is the one register
 * kernel that also takes strides (the ResNet's downsampling convolutions):
 * an output pixel j, tap kx reads input column j*sw + kx of the tile's
 * window, so a strided tile loads a wider window and skips values.
 */
export interface ConvRowsCoTile {
  r: number;
  tco: number;
}

/**
 * Measured on llvmpipe at the blog CNN's layers (batch 32, forward and
 * input gradient): r 8 x tco 16 runs 37-41 GFLOP/s where the rows kernel's
 * best (r 8 x tco 8) runs 27-29; r 4 x tco 16 30-34; r 8 x tco 8 30-32.
 */
export const CONV_ROWS_CO_TILES: readonly ConvRowsCoTile[] = [{ r: 8, tco: 16 }, { r: 4, tco: 16 }, { r: 8, tco: 8 }];

/** WT[(i*kh*kw + ky*kw + kx) * op + o] = W[wBase + o*wO + i*wI + ky*wKy + kx*wKx], zero for o >= co. */
const transposeKernel = () =>
  defineKernel({
    name: 'conv2d_weight_to_ci_tap_co',
    bindings: [input('W'), output('WT')],
    params: [['co', 'u32'], ['op', 'u32'], ['ci', 'u32'], ['kh', 'u32'], ['kw', 'u32'], ['wBase', 'i32'],
      ['wO', 'i32'], ['wI', 'i32'], ['wKy', 'i32'], ['wKx', 'i32']],
    workgroupSize: 64,
    body: `
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.y * nwg.x + wid.x) * 64u + lid;
  let taps = p.kh * p.kw;
  if (e >= p.ci * taps * p.op) { return; }
  let o = e % p.op;
  let tap = (e / p.op) % taps;
  let i = e / (p.op * taps);
  let at = p.wBase + i32(min(o, p.co - 1u)) * p.wO + i32(i) * p.wI + i32(tap / p.kw) * p.wKy + i32(tap % p.kw) * p.wKx;
  WT[e] = select(0.0, W[u32(at)], o < p.co);
}`,
  });

function rowsCoKernel(t: ConvRowsCoTile, kh: number, kw: number, sh: number, sw: number, wg: number) {
  const { r, tco } = t;
  const cb = tco / 4;
  const rowsIn = (r - 1) * sh + kh;
  const span = 3 * sw + kw;
  const acc = range(r).flatMap((i) => range(4).flatMap((j) => range(cb).map((b) => `var a${i}_${j}_${b} = vec4<f32>(0.0);`)));
  const loads = range(rowsIn).map((d) => inputRowLoads(d, `oy0 * ${sh} + ${d} - i32(p.ph)`, span, (v) => `vec4<f32>(${v})`).join('\n    '));
  const taps: string[] = [];
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      taps.push(range(cb).map((b) => `let w${ky}_${kx}_${b} = WT[wci + ${ky * kw + kx}u * op4 + min(cb0 + ${b}u, op4 - 1u)];`).join(' '));
      for (let i = 0; i < r; i++) {
        taps.push(
          range(4)
            .flatMap((j) => range(cb).map((b) => `a${i}_${j}_${b} = fma(v${i * sh + ky}_${j * sw + kx}, w${ky}_${kx}_${b}, a${i}_${j}_${b});`))
            .join(' '),
        );
      }
    }
  }
  const store = range(r).flatMap((i) => range(cb).map((b) => `store(n, cb0 + ${b}u, oy0 + ${i}, ox0, ${range(4).map((j) => `a${i}_${j}_${b}`).join(', ')});`));
  return defineKernel({
    name: 'conv2d_rows_co',
    config: { r, tco, kh, kw, sh, sw, wg },
    bindings: [input('X'), input('WT', 'vec4<f32>'), input('Bias'), output('Y')],
    params: [...STRIDE1_PARAMS, ['tilesX', 'u32'], ['tiles', 'u32'], ['hasBias', 'u32'], ['op4', 'u32']],
    workgroupSize: wg,
    body: `
/** Pixels ox0..ox0+3 of output row oy, channels 4*c4..4*c4+3 (one vec4 per pixel). */
fn store(n: u32, c4: u32, oy: i32, ox0: u32, p0: vec4<f32>, p1: vec4<f32>, p2: vec4<f32>, p3: vec4<f32>) {
  if (oy >= i32(p.oh)) { return; }
  var px = array<vec4<f32>, 4>(p0, p1, p2, p3);
  for (var q = 0u; q < 4u; q++) {
    let co = 4u * c4 + q;
    if (co >= p.co) { return; }
    let b = select(0.0, Bias[co], p.hasBias != 0u);
    let base = ((n * p.co + co) * p.oh + u32(oy)) * p.ow + ox0;
    for (var j = 0u; j < 4u; j++) { if (ox0 + j < p.ow) { Y[base + j] = px[j][q] + b; } }
  }
}

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // y is the output-channel block, uniform in the workgroup.
  ${rowTileStart(wg, r, sw)}
  let cb0 = wid.y * ${cb}u;
  let op4 = p.op4;
  ${acc.join('\n  ')}
  for (var ci = 0u; ci < p.ci; ci++) {
    let xplane = (n * p.ci + ci) * p.h * p.w;
    let wci = ci * ${kh * kw}u * op4;
    ${loads.join('\n    ')}
    ${taps.join('\n    ')}
  }
  ${store.join('\n  ')}
}`,
  });
}

const WG = 64;

/** One stride-1 convolution pass with the channels-in-lanes kernel (forward, or input gradient via the weight strides). */
export const conv2dRowsCo: Stride1Pass<ConvRowsCoTile> = (ctx, x, w, bias, y, g, tile, label) => {
  const op4 = Math.ceil(g.co / 4);
  const op = 4 * op4;
  const total = g.ci * g.kh * g.kw * op;
  const wt = ctx.alloc(total * 4, 'conv2d weights as [ci][tap][co]');
  ctx.dispatch(
    transposeKernel(),
    [w, wt],
    { co: g.co, op, ci: g.ci, kh: g.kh, kw: g.kw, wBase: g.wBase, wO: g.wO, wI: g.wI, wKy: g.wKy, wKx: g.wKx },
    Math.ceil(total / 64),
    `${label} (weight layout)`,
  );
  const tilesX = Math.ceil(g.ow / 4);
  const tiles = tilesX * Math.ceil(g.oh / tile.r);
  ctx.dispatch(
    rowsCoKernel(tile, g.kh, g.kw, g.sh ?? 1, g.sw ?? 1, WG),
    [x, wt, bias ?? x, y],
    { ...g, tilesX, tiles, hasBias: bias ? 1 : 0, op4 },
    [Math.ceil((tiles * g.n) / WG), Math.ceil(op4 / (tile.tco / 4)), 1],
    label,
  );
  // Encoded dispatches keep seeing the contents; the pool may hand it out after this batch.
  ctx.free(wt);
};
