import { allOf, defineKernel, elementEntry, input, memoKernel, output, range } from '../kernel.js';
import { inputRowLoads, STRIDE1_PARAMS, type WeightGradPass, weightGradParams } from './conv2d-row-loads.js';
import type { Conv2dShape } from './window.js';
import { type WeightGradFamily, strideOne } from './conv2d-family.js';

/**
 * Weight gradient of a convolution (any stride) for CPU adapters with the
 * output channels in the vector lanes (the weight-gradient counterpart of
 * conv2d-rows-co): dy is first laid out [n][oy][ox][co] (co padded to whole
 * vec4s), so one uniform vec4 load brings 4 channels' gradients at a pixel.
 * The lanes of a workgroup are input channels; each input value is loaded
 * once (a gather), splatted once and feeds every tap and channel group that
 * uses it. An invocation owns `tco` output channels x one input channel x
 * every tap, and walks its batch chunk 4 pixels at a time. Any stride:
 * pixel j, tap kx reads column j*sw + kx of the 4 pixels' input window.
 */
export interface WeightCoTile {
  tco: number;
  wg: number;
}

/**
 * Measured on llvmpipe at the blog CNN's layers (batch 32, the layout pass
 * included): tco 16 in workgroups of 8, 25.4-28.8 GFLOP/s where the rows
 * kernel's tco 8 runs 21.2-25.6; tco 32 spills (19-22).
 */
export const WEIGHT_CO_TILES: readonly WeightCoTile[] = [
  { tco: 16, wg: 8 },
  { tco: 16, wg: 32 },
  { tco: 8, wg: 32 },
];

/**
 * GT[((n*oh + oy)*ow + ox)*op + c] = G[((n*co + c)*oh + oy)*ow + ox], zero
 * for c >= co. One invocation per pixel, the lanes along the pixels (so
 * each of its loads is contiguous across the lanes), writing the pixel's
 * channels as whole vec4s; one division per pixel, not per element.
 */
const transposeKernel = () =>
  defineKernel({
    name: 'conv2d_grad_to_pixel_co',
    bindings: [input('G'), output('GT', 'vec4<f32>')],
    params: [
      ['pixels', 'u32'],
      ['co', 'u32'],
      ['op4', 'u32'],
      ['hw', 'u32'],
    ],
    workgroupSize: 64,
    body: elementEntry(
      64,
      'e',
      'p.pixels',
      `let pix = e % p.hw;
  let src = (e / p.hw) * p.co * p.hw + pix;
  for (var c4 = 0u; c4 < p.op4; c4++) {
    var v = vec4<f32>(0.0);
    for (var q = 0u; q < 4u; q++) {
      let c = 4u * c4 + q;
      if (c < p.co) { v[q] = G[src + c * p.hw]; }
    }
    GT[e * p.op4 + c4] = v;
  }`,
    ),
  });

const kernel = memoKernel((t: WeightCoTile, kh: number, kw: number, sh: number, sw: number) => {
  const { tco, wg } = t;
  const cb = tco / 4;
  const span = 3 * sw + kw;
  const taps = kh * kw;
  const acc = range(cb).flatMap((b) => range(taps).map((k) => `var a${b}_${k} = vec4<f32>(0.0);`));
  const loadG = range(4).flatMap((j) =>
    range(cb).map(
      (b) =>
        `let g${j}_${b} = select(vec4<f32>(0.0), GT[gpix + min(ox0 + ${j}u, p.ow - 1u) * op4 + min(c40 + ${b}u, op4 - 1u)], ox0 + ${j}u < p.ow);`,
    ),
  );
  const rows = range(kh).map((ky) =>
    inputRowLoads(ky, `i32(oy * ${sh}u + ${ky}u) - i32(p.ph)`, span, (v) => `vec4<f32>(${v})`).join('\n        '),
  );
  // Pixel j, tap (ky, kx): input value v(ky)(j*sw + kx).
  const fmas = range(kh).flatMap((ky) =>
    range(kw).map((kx) =>
      range(4)
        .flatMap((j) =>
          range(cb).map(
            (b) => `a${b}_${ky * kw + kx} = fma(v${ky}_${j * sw + kx}, g${j}_${b}, a${b}_${ky * kw + kx});`,
          ),
        )
        .join(' '),
    ),
  );
  const store = range(cb).flatMap((b) =>
    range(4).flatMap((q) =>
      range(taps).map(
        (k) =>
          `if ${allOf('ciOk', `co0 + ${4 * b + q}u < p.co`)} { DW[split * wsize + ((co0 + ${4 * b + q}u) * p.ci + ci) * ${taps}u + ${k}u] = a${b}_${k}[${q}]; }`,
      ),
    ),
  );
  return defineKernel({
    name: 'conv2d_weight_grad_co',
    config: { tco, wg, kh, kw, sh, sw },
    bindings: [input('X'), input('GT', 'vec4<f32>'), output('DW')],
    params: [...STRIDE1_PARAMS, ['perSplit', 'u32'], ['op4', 'u32']],
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Lanes: input channels. Uniform: the output-channel block, the batch chunk, every dy load.
  let ci = wid.x * ${wg}u + lid;
  let ciOk = ci < p.ci;
  let cic = min(ci, p.ci - 1u);
  let co0 = wid.y * ${tco}u;
  let c40 = wid.y * ${cb}u;
  let split = wid.z;
  let n1 = min((split + 1u) * p.perSplit, p.n);
  let wsize = p.co * p.ci * ${taps}u;
  let op4 = p.op4;
  let iw1 = i32(p.w) - 1;
  ${acc.join('\n  ')}
  for (var n = split * p.perSplit; n < n1; n++) {
    let xplane = (n * p.ci + cic) * p.h * p.w;
    for (var oy = 0u; oy < p.oh; oy++) {
      let gpix = (n * p.oh + oy) * p.ow * op4;
      for (var ox0 = 0u; ox0 < p.ow; ox0 += 4u) {
        let ix0 = i32(ox0 * ${sw}u) - i32(p.pw);
        ${loadG.join('\n        ')}
        ${rows.join('\n        ')}
        ${fmas.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`,
  });
});

/** Invocations of one batch chunk (the caller splits the batch to reach enough). */
export function weightCoThreads(s: Conv2dShape, t: WeightCoTile): number {
  return Math.ceil(s.ci / t.wg) * t.wg * Math.ceil(s.co / t.tco);
}

/** Partial weight gradients [splits, co, ci, kh, kw] of a convolution (any stride). */
export const conv2dWeightGradCo: WeightGradPass<WeightCoTile> = (ctx, x, dy, partial, s, splits, t, label) => {
  const params = weightGradParams(s, splits);
  const { oh, ow } = params;
  const op4 = Math.ceil(s.co / 4);
  const pixels = s.n * oh * ow;
  const gt = ctx.alloc(pixels * op4 * 16, 'conv2d output gradient as [n][pixel][co]');
  ctx.dispatch(
    transposeKernel(),
    [dy, gt],
    { pixels, co: s.co, op4, hw: oh * ow },
    Math.ceil(pixels / 64),
    `${label} (gradient layout)`,
  );
  ctx.dispatch(
    kernel(t, s.kh, s.kw, s.sh, s.sw),
    [x, gt, partial],
    { ...params, op4 },
    [Math.ceil(s.ci / t.wg), Math.ceil(s.co / t.tco), splits],
    label,
  );
  ctx.free(gt);
};

/** The channels-in-lanes weight gradient: stride 1, and strided kernels up to 3x3 (a ResNet's downsampling). */
export const WEIGHT_CO_FAMILY: WeightGradFamily<'wco', WeightCoTile> = {
  kind: 'wco',
  tiles: WEIGHT_CO_TILES,
  applies: (s) => strideOne(s) || s.kh * s.kw <= 9,
  unroll: (t, s) => t.tco * s.kh * s.kw,
  threads: weightCoThreads,
  preferred: true,
  run: conv2dWeightGradCo,
};
