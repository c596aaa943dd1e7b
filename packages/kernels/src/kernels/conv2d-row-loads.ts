import type { BufferBinding, GpuContext } from '../context.js';
import { allOf } from '../kernel.js';
import type { ConvRowsGeometry } from './conv2d-rows.js';
import { type Conv2dShape, convOutSize } from './window.js';

/**
 * The one place the stride-1 register kernels load an input row: `span`
 * values from column ix0 on of image row `iy` (an i32 WGSL expression), zero
 * in the padding, every load guarded without a branch. Emits `iy{d}`,
 * `ok{d}`, `rb{d}` and the values `v{d}_{j}`; `wrap` gives each value its
 * final form (a vec4 splat for the channels-in-lanes kernels). Expects
 * `xplane` (the plane's first element), `ix0` and `iw1` (w - 1) in scope.
 */
export function inputRowLoads(d: number, iy: string, span: number, wrap: (v: string) => string = (v) => v): string[] {
  return [
    `let iy${d} = ${iy};`,
    `let ok${d} = ${allOf(`iy${d} >= 0`, `iy${d} < i32(p.h)`)};`,
    `let rb${d} = xplane + u32(clamp(iy${d}, 0, i32(p.h) - 1)) * p.w;`,
    ...Array.from(
      { length: span },
      (_, j) =>
        `let v${d}_${j} = ${wrap(`select(0.0, X[rb${d} + u32(clamp(ix0 + ${j}, 0, iw1))], ${allOf(`ok${d}`, `ix0 + ${j} >= 0`, `ix0 + ${j} <= iw1`)})`)};`,
    ),
  ];
}

/** The kw shifted 4-pixel windows of input row d's values: s{d}_{kx} = (v{d}_{kx} .. v{d}_{kx+3}). */
export function rowWindows(d: number, kw: number): string[] {
  return Array.from(
    { length: kw },
    (_, kx) => `let s${d}_${kx} = vec4<f32>(v${d}_${kx}, v${d}_${kx + 1}, v${d}_${kx + 2}, v${d}_${kx + 3});`,
  );
}

/**
 * The start of a stride-1 register kernel's entry: invocation t of the x
 * grid takes tile `tile` (r rows x 4 pixels, at oy0, ox0) of image n, so
 * small planes still fill a workgroup; it declares ix0 (the tile's first
 * input column: stride 1 unless the kernel gives its own `ix0`) and iw1
 * for inputRowLoads. Invocations past the last tile
 * return.
 */
export function rowTileStart(wg: number, r: number, ix0 = 'i32(ox0) - i32(p.pw)'): string {
  return `let t = wid.x * ${wg}u + lid;
  if (t >= p.tiles * p.n) { return; }
  let n = t / p.tiles;
  let tile = t % p.tiles;
  let oy0 = i32((tile / p.tilesX) * ${r}u);
  let ox0 = (tile % p.tilesX) * 4u;
  let ix0 = ${ix0};
  let iw1 = i32(p.w) - 1;`;
}

/** What every convolution writing y [n, co, oh, ow] takes first: x [n, ci, h, w], w, bias [co] or null. */
type ConvIo = [ctx: GpuContext, x: BufferBinding, w: BufferBinding, bias: BufferBinding | null, y: BufferBinding];

/**
 * A stride-1 convolution pass (forward, or input gradient through the
 * weight strides) with one tile configuration; `Extra` are a variant's own
 * trailing arguments.
 */
export type Stride1Pass<Tile, Extra extends unknown[] = []> = (
  ...args: [...ConvIo, g: ConvRowsGeometry, tile: Tile, label: string, ...extra: Extra]
) => void;

/** A forward convolution of geometry `s` by one kernel family; `Extra` are its own trailing arguments. */
export type ConvForwardPass<Extra extends unknown[]> = (...args: [...ConvIo, s: Conv2dShape, ...extra: Extra]) => void;

/** The device and buffers of a weight-gradient pass: x, dy, and the partial gradients it writes. */
type WeightGradIo = [ctx: GpuContext, x: BufferBinding, dy: BufferBinding, partial: BufferBinding];

/** A weight-gradient pass: partial gradients [splits, co, ci, kh, kw] of x and dy, the batch split in `splits` chunks. */
export type WeightGradPass<Tile, Extra extends unknown[] = []> = (
  ...args: [...WeightGradIo, s: Conv2dShape, splits: number, tile: Tile, label: string, ...extra: Extra]
) => void;

/** The geometry parameters the stride-1 kernels share (the uniform block starts with these). */
export const STRIDE1_PARAMS = [
  ['n', 'u32'],
  ['ci', 'u32'],
  ['h', 'u32'],
  ['w', 'u32'],
  ['co', 'u32'],
  ['oh', 'u32'],
  ['ow', 'u32'],
  ['ph', 'u32'],
  ['pw', 'u32'],
] as const;

/**
 * The uniform parameters the stride-1 weight-gradient kernels share, for a
 * batch split into `splits` chunks (output size from the one formula,
 * convOutSize). Refuses other strides, naming the op.
 */
export function stride1WeightParams(s: Conv2dShape, splits: number, label: string) {
  if (s.sh !== 1 || s.sw !== 1) throw new Error(`${label}: this weight-gradient variant needs stride 1`);
  return weightGradParams(s, splits);
}

/** Those parameters for any stride (the kernel bakes its strides in). */
export function weightGradParams(s: Conv2dShape, splits: number) {
  const { oh, ow } = convOutSize(s);
  return { n: s.n, ci: s.ci, h: s.h, w: s.w, co: s.co, oh, ow, ph: s.ph, pw: s.pw, perSplit: Math.ceil(s.n / splits) };
}
