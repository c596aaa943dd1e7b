import { allOf, defineKernel, input, memoKernel, output, range } from '../kernel.js';
import {
  inputRowLoads,
  rowWindows,
  STRIDE1_PARAMS,
  stride1WeightParams,
  type WeightGradPass,
} from './conv2d-row-loads.js';
import type { Conv2dShape } from './window.js';
import { type WeightGradFamily, strideOne } from './conv2d-family.js';

/**
 * Weight gradient of a stride-1 convolution for CPU adapters, shaped so the
 * output-gradient loads are uniform: the lanes of a workgroup are input
 * channels, while the output-channel block and the batch chunk come from
 * the workgroup id. Every lane then reads the same dy values (a CPU adapter
 * loads them once and broadcasts) and only its own input plane differs
 * (one gather per input value). An invocation owns `tco` output channels x
 * one input channel x every tap, and walks its batch chunk `r` output rows
 * by 4 pixels at a time, so each input row it loads serves up to kh rows
 * of taps (vec4 lanes = the 4 pixels, summed at the end).
 */
export interface WeightUniformTile {
  tco: number;
  r: number;
  wg: number;
}

/**
 * Measured on llvmpipe at the blog CNN's layers (batch 32): tco 8, one row,
 * 21.9-26.1 GFLOP/s, level with or 1-4% above the rows kernel's tco 8; two
 * rows per step or tco 16 lose 15-25% (register pressure), so they are not
 * listed.
 */
export const WEIGHT_UNIFORM_TILES: readonly WeightUniformTile[] = [
  { tco: 8, r: 1, wg: 32 },
  { tco: 8, r: 1, wg: 8 },
  { tco: 4, r: 1, wg: 32 },
];

/** `aligned`: the output width is a multiple of 4, so dy is read as whole vec4s. */
const kernel = memoKernel((t: WeightUniformTile, kh: number, kw: number, aligned: boolean) => {
  const { tco, r, wg } = t;
  const span = 4 + kw - 1;
  const rowsIn = r + kh - 1;
  const acc = range(tco).flatMap((c) => range(kh * kw).map((k) => `var a${c}_${k} = vec4<f32>(0.0);`));
  // dy of output row oy0 + i, channel co0 + c: uniform across the workgroup.
  const loadG = range(r).flatMap((i) =>
    range(tco).map((c) => {
      const ok = allOf(`oy0 + ${i}u < p.oh`, `co0 + ${c}u < p.co`);
      const at = `gplane + min(co0 + ${c}u, p.co - 1u) * gco + min(oy0 + ${i}u, p.oh - 1u) * p.ow + ox0`;
      return aligned
        ? `let g${i}_${c} = select(vec4<f32>(0.0), G[(${at}) / 4u], ${ok});`
        : `let gb${i}_${c} = ${at};
        let g${i}_${c} = select(vec4<f32>(0.0), vec4<f32>(G[gb${i}_${c}], select(0.0, G[gb${i}_${c} + 1u], ox0 + 1u < p.ow), select(0.0, G[gb${i}_${c} + 2u], ox0 + 2u < p.ow), select(0.0, G[gb${i}_${c} + 3u], ox0 + 3u < p.ow)), ${ok});`;
    }),
  );
  // Input row d (oy0 + d - ph) and its kw shifted 4-pixel windows.
  const rows = range(rowsIn).map((d) =>
    [...inputRowLoads(d, `i32(oy0 + ${d}u) - i32(p.ph)`, span), ...rowWindows(d, kw)].join('\n        '),
  );
  // Output row i uses input rows i..i+kh-1: tap (ky, kx) reads window s(i+ky)_kx.
  const fmas = range(r).flatMap((i) =>
    range(kh).flatMap((ky) =>
      range(kw).map((kx) =>
        range(tco)
          .map((c) => `a${c}_${ky * kw + kx} = fma(g${i}_${c}, s${i + ky}_${kx}, a${c}_${ky * kw + kx});`)
          .join(' '),
      ),
    ),
  );
  const store = range(tco).flatMap((c) =>
    range(kh * kw).map(
      (k) =>
        `if ${allOf('ciOk', `co0 + ${c}u < p.co`)} { DW[split * wsize + ((co0 + ${c}u) * p.ci + ci) * ${kh * kw}u + ${k}u] = dot(a${c}_${k}, vec4<f32>(1.0)); }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_weight_grad_uniform',
    config: { tco, r, wg, kh, kw, aligned },
    bindings: [input('X'), { name: 'G', type: aligned ? 'vec4<f32>' : 'f32', access: 'read' }, output('DW')],
    params: [...STRIDE1_PARAMS, ['perSplit', 'u32']],
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Lanes: input channels. Uniform: the output-channel block and the batch chunk.
  let ci = wid.x * ${wg}u + lid;
  let ciOk = ci < p.ci;
  let cic = min(ci, p.ci - 1u);
  let co0 = wid.y * ${tco}u;
  let split = wid.z;
  let n1 = min((split + 1u) * p.perSplit, p.n);
  let wsize = p.co * p.ci * ${kh * kw}u;
  let gco = p.oh * p.ow;
  let iw1 = i32(p.w) - 1;
  ${acc.join('\n  ')}
  for (var n = split * p.perSplit; n < n1; n++) {
    let xplane = (n * p.ci + cic) * p.h * p.w;
    let gplane = n * p.co * gco;
    for (var oy0 = 0u; oy0 < p.oh; oy0 += ${r}u) {
      for (var ox0 = 0u; ox0 < p.ow; ox0 += 4u) {
        let ix0 = i32(ox0) - i32(p.pw);
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

/** Workgroups of one batch chunk (the caller splits the batch to reach enough invocations). */
export function weightUniformThreads(s: Conv2dShape, t: WeightUniformTile): number {
  return Math.ceil(s.ci / t.wg) * t.wg * Math.ceil(s.co / t.tco);
}

/** Partial weight gradients [splits, co, ci, kh, kw] of a stride-1 convolution. */
export const conv2dWeightGradUniform: WeightGradPass<WeightUniformTile> = (
  ctx,
  x,
  dy,
  partial,
  s,
  splits,
  t,
  label,
) => {
  const params = stride1WeightParams(s, splits, label);
  const { ow } = params;
  ctx.dispatch(
    kernel(t, s.kh, s.kw, ow % 4 === 0),
    [x, dy, partial],
    params,
    [Math.ceil(s.ci / t.wg), Math.ceil(s.co / t.tco), splits],
    label,
  );
};

/** The stride-1 uniform weight gradient (lanes over input channels, dy uniform). */
export const WEIGHT_UNIFORM_FAMILY: WeightGradFamily<'uniform', WeightUniformTile> = {
  kind: 'uniform',
  tiles: WEIGHT_UNIFORM_TILES,
  applies: strideOne,
  unroll: (t, s) => t.tco * s.kh * s.kw * t.r,
  threads: weightUniformThreads,
  preferred: true,
  run: conv2dWeightGradUniform,
};
