import { defineKernel, input, memoKernel, output, range } from '../kernel.js';
import { inputRowLoads, STRIDE1_PARAMS, stride1WeightParams, type WeightGradPass } from './conv2d-row-loads.js';
import type { Conv2dShape } from './window.js';
import { type WeightGradFamily, strideOne } from './conv2d-family.js';

/**
 * Weight gradient of a stride-1 convolution, for CPU-like adapters.
 * One invocation owns `tco` output channels x one input channel x every tap
 * (kh x kw), and walks its batch chunk 4 output pixels at a time: it loads
 * the 4 dy values of each channel and, per kernel row, the 4 + kw - 1 input
 * values once, then updates all tco x kh x kw accumulators (vec4 lanes =
 * the 4 pixels, summed at the end).
 */
export interface WeightRowsTile {
  tco: number;
}

export const WEIGHT_ROWS_TILES: readonly WeightRowsTile[] = [{ tco: 8 }, { tco: 16 }, { tco: 4 }, { tco: 2 }];

const WG = 64;

/** `aligned`: the output width is a multiple of 4, so dy is read as whole vec4s. */
const kernel = memoKernel((t: WeightRowsTile, kh: number, kw: number, aligned: boolean) => {
  const { tco } = t;
  const span = 4 + kw - 1;
  const acc = range(tco).flatMap((c) => range(kh * kw).map((k) => `var a${c}_${k} = vec4<f32>(0.0);`));
  const loadG = range(tco).map((c) =>
    aligned
      ? `let g${c} = G[(gplane + min(co0 + ${c}u, p.co - 1u) * gco + oy * p.ow + ox0) / 4u];`
      : `let gb${c} = gplane + min(co0 + ${c}u, p.co - 1u) * gco + oy * p.ow + ox0;
        let g${c} = vec4<f32>(G[gb${c}], select(0.0, G[gb${c} + 1u], ox0 + 1u < p.ow), select(0.0, G[gb${c} + 2u], ox0 + 2u < p.ow), select(0.0, G[gb${c} + 3u], ox0 + 3u < p.ow));`,
  );
  const rows = range(kh).map((ky) => {
    const fmas = range(kw).flatMap((kx) => [
      `let s${ky}_${kx} = vec4<f32>(v${ky}_${kx}, v${ky}_${kx + 1}, v${ky}_${kx + 2}, v${ky}_${kx + 3});`,
      ...range(tco).map((c) => `a${c}_${ky * kw + kx} = fma(g${c}, s${ky}_${kx}, a${c}_${ky * kw + kx});`),
    ]);
    return [...inputRowLoads(ky, `i32(oy + ${ky}u) - i32(p.ph)`, span), ...fmas].join('\n        ');
  });
  const store = range(tco).flatMap((c) =>
    range(kh * kw).map(
      (k) =>
        `if (co0 + ${c}u < p.co) { DW[split * wsize + ((co0 + ${c}u) * p.ci + ci) * ${kh * kw}u + ${k}u] = dot(a${c}_${k}, vec4<f32>(1.0)); }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_weight_grad_rows',
    config: { tco, kh, kw, aligned },
    bindings: [input('X'), { name: 'G', type: aligned ? 'vec4<f32>' : 'f32', access: 'read' }, output('DW')],
    params: [...STRIDE1_PARAMS, ['perSplit', 'u32'], ['threads', 'u32']],
    workgroupSize: WG,
    body: `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * ${WG}u + lid;
  if (t >= p.threads) { return; }
  // t enumerates (split, co block, ci).
  let coBlocks = (p.co + ${tco - 1}u) / ${tco}u;
  let ci = t % p.ci;
  let co0 = ((t / p.ci) % coBlocks) * ${tco}u;
  let split = t / (p.ci * coBlocks);
  let n1 = min((split + 1u) * p.perSplit, p.n);
  let wsize = p.co * p.ci * ${kh * kw}u;
  let gco = p.oh * p.ow;
  let iw1 = i32(p.w) - 1;
  ${acc.join('\n  ')}
  for (var n = split * p.perSplit; n < n1; n++) {
    let xplane = (n * p.ci + ci) * p.h * p.w;
    let gplane = n * p.co * gco;
    for (var oy = 0u; oy < p.oh; oy++) {
      for (var ox0 = 0u; ox0 < p.ow; ox0 += 4u) {
        let ix0 = i32(ox0) - i32(p.pw);
        ${loadG.join('\n        ')}
        ${rows.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`,
  });
});

/** Invocations per batch chunk; the caller splits the batch to reach enough. */
export function weightRowsThreads(s: Conv2dShape, t: WeightRowsTile): number {
  return Math.ceil(s.co / t.tco) * s.ci;
}

/** Partial weight gradients [splits, co, ci, kh, kw] of a stride-1 convolution. */
export const conv2dWeightGradRows: WeightGradPass<WeightRowsTile> = (ctx, x, dy, partial, s, splits, t, label) => {
  const params = stride1WeightParams(s, splits, label);
  const { ow } = params;
  const threads = splits * weightRowsThreads(s, t);
  ctx.dispatch(
    kernel(t, s.kh, s.kw, ow % 4 === 0),
    [x, dy, partial],
    { ...params, threads },
    Math.ceil(threads / WG),
    label,
  );
};

/** The stride-1 rows weight gradient (lanes over channel pairs). */
export const WEIGHT_ROWS_FAMILY: WeightGradFamily<'rows', WeightRowsTile> = {
  kind: 'rows',
  tiles: WEIGHT_ROWS_TILES,
  applies: strideOne,
  unroll: (t, s) => t.tco * s.kh * s.kw,
  threads: weightRowsThreads,
  preferred: true,
  run: conv2dWeightGradRows,
};
