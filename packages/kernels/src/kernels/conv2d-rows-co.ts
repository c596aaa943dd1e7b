import { defineKernel, input, memoKernel, output, range } from '../kernel.js';
import { inputRowLoads, rowTileStart, type Stride1Pass, STRIDE1_PARAMS } from './conv2d-row-loads.js';
import type { DilatedInput } from './conv2d-rows.js';
import type { RowsFamily } from './conv2d-family.js';

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
export const CONV_ROWS_CO_TILES: readonly ConvRowsCoTile[] = [
  { r: 8, tco: 16 },
  { r: 4, tco: 16 },
  { r: 8, tco: 8 },
];

/** WT[(i*kh*kw + ky*kw + kx) * op + o] = W[wBase + o*wO + i*wI + ky*wKy + kx*wKx], zero for o >= co. */
const transposeKernel = () =>
  defineKernel({
    name: 'conv2d_weight_to_ci_tap_co',
    bindings: [input('W'), output('WT')],
    params: [
      ['co', 'u32'],
      ['op', 'u32'],
      ['ci', 'u32'],
      ['kh', 'u32'],
      ['kw', 'u32'],
      ['wBase', 'i32'],
      ['wO', 'i32'],
      ['wI', 'i32'],
      ['wKy', 'i32'],
      ['wKx', 'i32'],
    ],
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

/** The input rows and columns a tile reads, and each tap's value: v{row}_{col} for output (i, j), tap (ky, kx), or null where it meets a zero of a dilated input. */
interface TileReads {
  /** Per loaded row d: the WGSL i32 image row. */
  rows: string[];
  /** Values loaded per row, and the WGSL i32 column of the first. */
  span: number;
  ix0: string;
  value: (i: number, j: number, ky: number, kx: number) => string | null;
}

/** A plain (strided) input: output (i, j), tap (ky, kx) reads window row i*sh + ky, column j*sw + kx. */
function stridedReads(r: number, kh: number, kw: number, sh: number, sw: number): TileReads {
  return {
    rows: range((r - 1) * sh + kh).map((d) => `oy0 * ${sh} + ${d} - i32(p.ph)`),
    span: 3 * sw + kw,
    ix0: `i32(ox0 * ${sw}u) - i32(p.pw)`,
    value: (i, j, ky, kx) => `v${i * sh + ky}_${j * sw + kx}`,
  };
}

/**
 * A dilated input (see DilatedInput): output (i, j), tap (ky, kx) meets
 * virtual row oy0 + i + ky - qh, a real one only where that is a multiple
 * of uh (oy0 is: r is a multiple of uh), at real row oy0/uh + (i + ky - qh)/uh.
 * So a tile does a 1/(uh·uw) share of the taps and loads of the dilated
 * pass, and no zero is stored or read.
 */
function dilatedReads(r: number, kh: number, kw: number, u: DilatedInput): TileReads {
  const offsets = (n: number, k: number, q: number, step: number) => {
    const all = range(n)
      .flatMap((i) => range(k).map((t) => i + t - q))
      .filter((d) => d % step === 0)
      .map((d) => d / step);
    return { min: Math.min(...all), max: Math.max(...all) };
  };
  const er = offsets(r, kh, u.qh, u.uh);
  const ec = offsets(4, kw, u.qw, u.uw);
  const at = (d: number, step: number, min: number) => (d % step === 0 ? d / step - min : null);
  return {
    rows: range(er.max - er.min + 1).map((e) => `oy0 / ${u.uh} + ${e + er.min}`),
    span: ec.max - ec.min + 1,
    ix0: `i32(ox0 / ${u.uw}u) + ${ec.min}`,
    value: (i, j, ky, kx) => {
      const row = at(i + ky - u.qh, u.uh, er.min);
      const col = at(j + kx - u.qw, u.uw, ec.min);
      return row === null || col === null ? null : `v${row}_${col}`;
    },
  };
}

/** Whether a tile of `r` rows can read a dilated input directly (its rows and its 4 pixels start on real values). */
export const readsDilated = (r: number, u: { uh: number; uw: number }) => r % u.uh === 0 && 4 % u.uw === 0;

const rowsCoKernel = memoKernel(
  (t: ConvRowsCoTile, kh: number, kw: number, sh: number, sw: number, up: DilatedInput | null, wg: number) => {
    const { r, tco } = t;
    const cb = tco / 4;
    const reads = up ? dilatedReads(r, kh, kw, up) : stridedReads(r, kh, kw, sh, sw);
    const acc = range(r).flatMap((i) =>
      range(4).flatMap((j) => range(cb).map((b) => `var a${i}_${j}_${b} = vec4<f32>(0.0);`)),
    );
    const loads = reads.rows.map((row, d) =>
      inputRowLoads(d, row, reads.span, (v) => `vec4<f32>(${v})`).join('\n    '),
    );
    const taps: string[] = [];
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        taps.push(
          range(cb)
            .map((b) => `let w${ky}_${kx}_${b} = WT[wci + ${ky * kw + kx}u * op4 + min(cb0 + ${b}u, op4 - 1u)];`)
            .join(' '),
        );
        for (let i = 0; i < r; i++) {
          taps.push(
            range(4)
              .flatMap((j) => {
                const v = reads.value(i, j, ky, kx);
                return v === null
                  ? []
                  : range(cb).map((b) => `a${i}_${j}_${b} = fma(${v}, w${ky}_${kx}_${b}, a${i}_${j}_${b});`);
              })
              .join(' '),
          );
        }
      }
    }
    const store = range(r).flatMap((i) =>
      range(cb).map(
        (b) =>
          `store(n, cb0 + ${b}u, oy0 + ${i}, ox0, ${range(4)
            .map((j) => `a${i}_${j}_${b}`)
            .join(', ')});`,
      ),
    );
    return defineKernel({
      name: 'conv2d_rows_co',
      config: { r, tco, kh, kw, sh, sw, up: up ? `${up.uh}x${up.uw} q${up.qh}x${up.qw}` : 'none', wg },
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
  ${rowTileStart(wg, r, reads.ix0)}
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
  },
);

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
  const { up, ...geometry } = g;
  if (up && !readsDilated(tile.r, up))
    throw new Error(`${label}: a ${tile.r}-row tile cannot read an input dilated ${up.uh}x${up.uw}`);
  ctx.dispatch(
    rowsCoKernel(tile, g.kh, g.kw, g.sh ?? 1, g.sw ?? 1, up ?? null, WG),
    [x, wt, bias ?? x, y],
    { ...geometry, tilesX, tiles, hasBias: bias ? 1 : 0, op4 },
    [Math.ceil((tiles * g.n) / WG), Math.ceil(op4 / (tile.tco / 4)), 1],
    label,
  );
  // Encoded dispatches keep seeing the contents; the pool may hand it out after this batch.
  ctx.free(wt);
};

/** The channels-in-lanes kernel: any stride (kernels up to 3x3 where strided), and dilated gradients read in place. */
export const ROWS_CO_FAMILY: RowsFamily<'rowsco', ConvRowsCoTile> = {
  kind: 'rowsco',
  tiles: CONV_ROWS_CO_TILES,
  applies: () => true,
  strided: true,
  unroll: (t, s) => t.r * t.tco * s.kh * s.kw,
  preferred: true,
  run: conv2dRowsCo,
  readsDilated: (t, up) => readsDilated(t.r, up),
};
