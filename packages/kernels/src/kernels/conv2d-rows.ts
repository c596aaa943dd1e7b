import { defineKernel, input, memoKernel, output, range } from '../kernel.js';
import { inputRowLoads, rowTileStart, rowWindows, type Stride1Pass, STRIDE1_PARAMS } from './conv2d-row-loads.js';
import type { RowsFamily } from './conv2d-family.js';

/**
 * Stride-1 direct convolution for CPU-like adapters. One invocation computes
 * `r` output rows x 4 adjacent pixels x `tco` output channels. For each
 * input channel it loads the r + kh - 1 input rows it needs once (4 + kw - 1
 * values each), builds the kw shifted 4-pixel windows, and runs every tap
 * on them: each input value feeds up to r * tco * kw FMAs, and the weights
 * are uniform across the workgroup.
 *
 * The weight is addressed through strides, so the same kernel computes the
 * input gradient of a stride-1 convolution: dx = conv(dy, w flipped and with
 * in/out channels swapped, padding k - 1 - p).
 */
export interface ConvRowsTile {
  r: number;
  tco: number;
}

// Ordered by how often each won on llvmpipe at the blog CNN's shapes (the
// first is the default when tuning is off).
export const CONV_ROWS_TILES: readonly ConvRowsTile[] = [
  { r: 8, tco: 8 },
  { r: 4, tco: 8 },
  { r: 4, tco: 16 },
  { r: 2, tco: 16 },
  { r: 2, tco: 8 },
];

/**
 * A virtual input X' with X'[uh·a][uw·b] = X[a][b] and zeros between, read
 * by a stride-1 pass with padding (qh, qw) (compile-time here: which taps
 * meet a real value depends on their parity).
 */
export interface DilatedInput {
  uh: number;
  uw: number;
  qh: number;
  qw: number;
}

/** A stride-1 convolution as this kernel sees it, weight addressed by strides. */
export interface ConvRowsGeometry {
  n: number;
  ci: number;
  h: number;
  w: number;
  co: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  ph: number;
  pw: number;
  /** Strides (default 1; only the rows-co kernel takes others). */
  sh?: number;
  sw?: number;
  /**
   * Rows-co only: the input is `up` zero-spread (a strided convolution's
   * output gradient, dilated by its stride), read without materializing
   * the zeros; h and w are then the undilated sizes.
   */
  up?: DilatedInput;
  /** Weight element of (out o, in i, tap ky, kx) = wBase + o*wO + i*wI + ky*wKy + kx*wKx. */
  wBase: number;
  wO: number;
  wI: number;
  wKy: number;
  wKx: number;
}

const rowsKernel = memoKernel((t: ConvRowsTile, kh: number, kw: number, wg: number) => {
  const { r, tco } = t;
  const rowsIn = r + kh - 1;
  const span = 4 + kw - 1;
  const acc = range(r).flatMap((i) => range(tco).map((c) => `var a${i}_${c} = vec4<f32>(0.0);`));
  // Per input row d: the span values, then the kw windows.
  const loads = range(rowsIn).map((d) =>
    [...inputRowLoads(d, `oy0 + ${d} - i32(p.ph)`, span), ...rowWindows(d, kw)].join('\n    '),
  );
  const taps: string[] = [];
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      taps.push(
        range(tco)
          .map((c) => `let w${ky}_${kx}_${c} = Wt[u32(wci + wco${c} + ${ky} * p.wKy + ${kx} * p.wKx)];`)
          .join('\n    '),
      );
      for (let i = 0; i < r; i++) {
        taps.push(
          range(tco)
            .map((c) => `a${i}_${c} = fma(vec4<f32>(w${ky}_${kx}_${c}), s${i + ky}_${kx}, a${i}_${c});`)
            .join(' '),
        );
      }
    }
  }
  const coOffsets = range(tco).map((c) => `let wco${c} = i32(min(co0 + ${c}u, p.co - 1u)) * p.wO;`);
  const store = range(r).flatMap((i) => range(tco).map((c) => `store(n, co0 + ${c}u, oy0 + ${i}, ox0, a${i}_${c});`));
  return defineKernel({
    name: 'conv2d_rows',
    config: { r, tco, kh, kw, wg },
    bindings: [input('X'), input('Wt'), input('Bias'), output('Y')],
    params: [
      ...STRIDE1_PARAMS,
      ['tilesX', 'u32'],
      ['tiles', 'u32'],
      ['hasBias', 'u32'],
      ['wBase', 'i32'],
      ['wO', 'i32'],
      ['wI', 'i32'],
      ['wKy', 'i32'],
      ['wKx', 'i32'],
    ],
    workgroupSize: wg,
    body: `
fn store(n: u32, co: u32, oy: i32, ox0: u32, v: vec4<f32>) {
  if (co >= p.co || oy >= i32(p.oh)) { return; }
  let b = select(0.0, Bias[co], p.hasBias != 0u);
  let base = ((n * p.co + co) * p.oh + u32(oy)) * p.ow + ox0;
  if (ox0 + 3u < p.ow) {
    Y[base] = v.x + b; Y[base + 1u] = v.y + b; Y[base + 2u] = v.z + b; Y[base + 3u] = v.w + b;
  } else {
    for (var j = 0u; j < 4u; j++) { if (ox0 + j < p.ow) { Y[base + j] = v[j] + b; } }
  }
}

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // y is the output-channel block, uniform in the workgroup.
  ${rowTileStart(wg, r)}
  let co0 = wid.y * ${tco}u;
  ${coOffsets.join('\n  ')}
  ${acc.join('\n  ')}
  for (var ci = 0u; ci < p.ci; ci++) {
    let xplane = (n * p.ci + ci) * p.h * p.w;
    let wci = p.wBase + i32(ci) * p.wI;
    ${loads.join('\n    ')}
    ${taps.join('\n    ')}
  }
  ${store.join('\n  ')}
}`,
  });
});

const WG = 64;

/** One stride-1 convolution pass (forward, or input gradient via the weight strides). */
export const conv2dRows: Stride1Pass<ConvRowsTile> = (ctx, x, w, bias, y, g, tile, label) => {
  const { up, ...geometry } = g;
  if (up) throw new Error(`${label}: the rows kernel does not read dilated inputs`);
  const tilesX = Math.ceil(g.ow / 4);
  const tiles = tilesX * Math.ceil(g.oh / tile.r);
  ctx.dispatch(
    rowsKernel(tile, g.kh, g.kw, WG),
    [x, w, bias ?? w, y],
    { ...geometry, tilesX, tiles, hasBias: bias ? 1 : 0 },
    [Math.ceil((tiles * g.n) / WG), Math.ceil(g.co / tile.tco), 1],
    label,
  );
};

/** The rows kernel: stride 1, output pixels in the lanes. */
export const ROWS_FAMILY: RowsFamily<'rows', ConvRowsTile> = {
  kind: 'rows',
  tiles: CONV_ROWS_TILES,
  applies: () => true,
  strided: false,
  unroll: (t, s) => t.r * t.tco * s.kh * s.kw,
  preferred: true,
  run: conv2dRows,
};
