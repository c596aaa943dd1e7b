import type { BufferBinding, GpuContext } from '../context.js';
import { allOf, defineKernel, input, output, range } from '../kernel.js';
import type { ConvForwardPass, WeightGradPass } from './conv2d-row-loads.js';
import { CONV_PARAMS, type Conv2dShape, convOutSize } from './window.js';
import type { WeightGradFamily } from './conv2d-family.js';

/*
 * The direct convolution kernels: any geometry (stride, padding, kernel
 * size), looping over the taps instead of unrolling them. The CPU classes'
 * fall-back where the stride-1 and channels-in-lanes kernels do not apply.
 */

/**
 * Register tile of one invocation: `tc` channels (output channels in the
 * forward, input channels in dInput) by `tp` consecutive pixels of one row.
 * The CPU adapters want large tiles (much work per invocation); `wg` is the
 * workgroup size.
 */
export interface ConvTile {
  tc: number;
  tp: number;
  wg: number;
}

export const CONV_TILES: readonly ConvTile[] = [
  { tc: 16, tp: 4, wg: 64 },
  { tc: 8, tp: 4, wg: 64 },
  { tc: 4, tp: 4, wg: 64 },
  { tc: 1, tp: 1, wg: 64 },
];

const GEOMETRY = [...CONV_PARAMS, ['tilesX', 'u32']] as const;

function geometry(s: Conv2dShape, tp: number, alongOutput: boolean) {
  const { oh, ow } = convOutSize(s);
  return {
    ...s,
    oh,
    ow,
    tilesX: Math.ceil((alongOutput ? ow : s.w) / tp),
  };
}

/** y[n, co, oy, ox] = b[co] + Σ x[n, ci, oy*sh-ph+ky, ox*sw-pw+kx] · w[co, ci, ky, kx] */
function forwardKernel(t: ConvTile) {
  const { tc, tp, wg } = t;
  const acc = range(tc).flatMap((c) => range(tp).map((j) => `var a${c}_${j} = 0.0;`));
  const loadX = range(tp).map(
    (j) =>
      `let ix${j} = i32((ox0 + ${j}u) * p.sw + kx) - i32(p.pw);
        let x${j} = select(0.0, X[xrow + u32(clamp(ix${j}, 0, i32(p.w) - 1))], ${allOf(`ix${j} >= 0`, `ix${j} < i32(p.w)`)});`,
  );
  const loadW = range(tc).map((c) => `let w${c} = Wt[wbase + min(co0 + ${c}u, p.co - 1u) * wco];`);
  const fma = range(tc).flatMap((c) => range(tp).map((j) => `a${c}_${j} = fma(w${c}, x${j}, a${c}_${j});`));
  const store = range(tc).flatMap((c) =>
    range(tp).map(
      (j) =>
        `if ${allOf(`co0 + ${c}u < p.co`, `ox0 + ${j}u < p.ow`)} { Y[((n * p.co + co0 + ${c}u) * p.oh + oy) * p.ow + ox0 + ${j}u] = a${c}_${j} + select(0.0, Bias[co0 + ${c}u], p.hasBias != 0u); }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_forward',
    config: { ...t },
    bindings: [input('X'), input('Wt'), input('Bias'), output('Y')],
    params: [...GEOMETRY, ['hasBias', 'u32']],
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // x: pixel tiles of one output plane; y: output-channel blocks (uniform in
  // the workgroup, so weight loads are shared); z: batch.
  let tile = wid.x * ${wg}u + lid;
  if (tile >= p.oh * p.tilesX) { return; }
  let oy = tile / p.tilesX;
  let ox0 = (tile % p.tilesX) * ${tp}u;
  let co0 = wid.y * ${tc}u;
  let n = wid.z;
  let wco = p.ci * p.kh * p.kw;
  ${acc.join('\n  ')}
  for (var ci = 0u; ci < p.ci; ci++) {
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      let xrow = ((n * p.ci + ci) * p.h + u32(iy)) * p.w;
      for (var kx = 0u; kx < p.kw; kx++) {
        let wbase = (ci * p.kh + ky) * p.kw + kx;
        ${loadX.join('\n        ')}
        ${loadW.join('\n        ')}
        ${fma.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`,
  });
}

/** dx[n, ci, iy, ix] = Σ dy[n, co, oy, ox] · w[co, ci, ky, kx] over oy*sh-ph+ky = iy, ox*sw-pw+kx = ix. */
function inputGradKernel(t: ConvTile) {
  const { tc, tp, wg } = t;
  const acc = range(tc).flatMap((c) => range(tp).map((j) => `var a${c}_${j} = 0.0;`));
  const loadG = range(tp).map(
    (j) =>
      `let tx${j} = i32(ix0 + ${j}u + p.pw) - i32(kx);
        let ox${j} = u32(max(tx${j}, 0)) / p.sw;
        let g${j} = select(0.0, G[grow + min(ox${j}, p.ow - 1u)], ${allOf(`tx${j} >= 0`, `u32(tx${j}) % p.sw == 0u`, `ox${j} < p.ow`)});`,
  );
  const loadW = range(tc).map((c) => `let w${c} = Wt[wbase + min(ci0 + ${c}u, p.ci - 1u) * p.kh * p.kw];`);
  const fma = range(tc).flatMap((c) => range(tp).map((j) => `a${c}_${j} = fma(w${c}, g${j}, a${c}_${j});`));
  const store = range(tc).flatMap((c) =>
    range(tp).map(
      (j) =>
        `if ${allOf(`ci0 + ${c}u < p.ci`, `ix0 + ${j}u < p.w`)} { DX[((n * p.ci + ci0 + ${c}u) * p.h + iy) * p.w + ix0 + ${j}u] = a${c}_${j}; }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_input_grad',
    config: { ...t },
    bindings: [input('G'), input('Wt'), output('DX')],
    params: GEOMETRY,
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tile = wid.x * ${wg}u + lid;
  if (tile >= p.h * p.tilesX) { return; }
  let iy = tile / p.tilesX;
  let ix0 = (tile % p.tilesX) * ${tp}u;
  let ci0 = wid.y * ${tc}u;
  let n = wid.z;
  ${acc.join('\n  ')}
  for (var co = 0u; co < p.co; co++) {
    for (var ky = 0u; ky < p.kh; ky++) {
      let ty = i32(iy + p.ph) - i32(ky);
      if (ty < 0 || u32(ty) % p.sh != 0u) { continue; }
      let oy = u32(ty) / p.sh;
      if (oy >= p.oh) { continue; }
      let grow = ((n * p.co + co) * p.oh + oy) * p.ow;
      for (var kx = 0u; kx < p.kw; kx++) {
        let wbase = ((co * p.ci) * p.kh + ky) * p.kw + kx;
        ${loadG.join('\n        ')}
        ${loadW.join('\n        ')}
        ${fma.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`,
  });
}

/**
 * dw[co, ci, ky, kx] = Σ_{n, oy, ox} dy[n, co, oy, ox] · x[n, ci, oy*sh-ph+ky, ox*sw-pw+kx].
 * One invocation: `tco` output channels x one input channel x one kernel row
 * (all `kw` taps). The batch is split into `splits` chunks written to
 * separate partial buffers (summed afterwards) so small layers still spread
 * over many invocations.
 */
export interface WeightGradTile {
  tco: number;
  wg: number;
}

export const WEIGHT_GRAD_TILES: readonly WeightGradTile[] = [
  { tco: 8, wg: 64 },
  { tco: 4, wg: 64 },
  { tco: 1, wg: 64 },
];

function weightGradKernel(t: WeightGradTile, kw: number) {
  const { tco, wg } = t;
  const acc = range(tco).flatMap((c) => range(kw).map((k) => `var a${c}_${k} = 0.0;`));
  const loadG = range(tco).map((c) => `let g${c} = G[gbase + min(co0 + ${c}u, p.co - 1u) * gco];`);
  const loadX = range(kw).map(
    (k) =>
      `let ix${k} = i32(ox * p.sw + ${k}u) - i32(p.pw);
          let x${k} = select(0.0, X[xrow + u32(clamp(ix${k}, 0, i32(p.w) - 1))], ${allOf(`ix${k} >= 0`, `ix${k} < i32(p.w)`)});`,
  );
  const fma = range(tco).flatMap((c) => range(kw).map((k) => `a${c}_${k} = fma(g${c}, x${k}, a${c}_${k});`));
  const store = range(tco).flatMap((c) =>
    range(kw).map(
      (k) =>
        `if (co0 + ${c}u < p.co) { DW[split * wsize + (((co0 + ${c}u) * p.ci + ci) * p.kh + ky) * p.kw + ${k}u] = a${c}_${k}; }`,
    ),
  );
  return defineKernel({
    name: 'conv2d_weight_grad',
    config: { ...t, kw },
    bindings: [input('X'), input('G'), output('DW')],
    params: [...GEOMETRY, ['splits', 'u32'], ['perSplit', 'u32'], ['threads', 'u32']],
    workgroupSize: wg,
    body: `
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * nwg.x + wid.x) * ${wg}u + lid;
  if (t >= p.threads) { return; }
  // t enumerates (split, co block, ci, ky).
  let coBlocks = (p.co + ${tco - 1}u) / ${tco}u;
  let ky = t % p.kh;
  let ci = (t / p.kh) % p.ci;
  let co0 = ((t / (p.kh * p.ci)) % coBlocks) * ${tco}u;
  let split = t / (p.kh * p.ci * coBlocks);
  let n0 = split * p.perSplit;
  let n1 = min(n0 + p.perSplit, p.n);
  let wsize = p.co * p.ci * p.kh * p.kw;
  let gco = p.oh * p.ow;
  ${acc.join('\n  ')}
  for (var n = n0; n < n1; n++) {
    for (var oy = 0u; oy < p.oh; oy++) {
      let iy = i32(oy * p.sh + ky) - i32(p.ph);
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      let xrow = ((n * p.ci + ci) * p.h + u32(iy)) * p.w;
      for (var ox = 0u; ox < p.ow; ox++) {
        let gbase = n * p.co * gco + oy * p.ow + ox;
        ${loadG.join('\n        ')}
        ${loadX.join('\n        ')}
        ${fma.join('\n        ')}
      }
    }
  }
  ${store.join('\n  ')}
}`,
  });
}

/** The direct weight-gradient kernel: one invocation per (split, co block, ci, ky). */
export const conv2dWeightGradDirect: WeightGradPass<WeightGradTile> = (ctx, x, dy, partial, s, splits, tile, name) => {
  const g = geometry(s, 1, true);
  const perSplit = Math.ceil(s.n / splits);
  const threads = splits * directWeightThreads(s, tile);
  ctx.dispatch(
    weightGradKernel(tile, s.kw),
    [x, dy, partial],
    { ...g, splits, perSplit, threads },
    Math.ceil(threads / tile.wg),
    name,
  );
};

/** Forward convolution with the direct kernel, into y [n, co, oh, ow]. */
type DirectForwardArgs = [tile: ConvTile, label: string];
export const conv2dForwardDirect: ConvForwardPass<DirectForwardArgs> = (ctx, x, w, bias, y, s, tile, label) => {
  const g = geometry(s, tile.tp, true);
  ctx.dispatch(
    forwardKernel(tile),
    [x, w, bias ?? w, y],
    { ...g, hasBias: bias ? 1 : 0 },
    [Math.ceil((g.oh * g.tilesX) / tile.wg), Math.ceil(s.co / tile.tc), s.n],
    label,
  );
};

/** Input gradient with the direct kernel, into dx [n, ci, h, w]. */
export function conv2dInputGradDirect(
  ctx: GpuContext,
  dy: BufferBinding,
  w: BufferBinding,
  dx: BufferBinding,
  s: Conv2dShape,
  tile: ConvTile,
  label: string,
): void {
  const g = geometry(s, tile.tp, false);
  ctx.dispatch(
    inputGradKernel(tile),
    [dy, w, dx],
    g,
    [Math.ceil((s.h * g.tilesX) / tile.wg), Math.ceil(s.ci / tile.tc), s.n],
    label,
  );
}

/** Invocations of one batch chunk of the direct weight gradient: one per (co block, ci, ky). */
export const directWeightThreads = (s: Conv2dShape, tile: WeightGradTile) => Math.ceil(s.co / tile.tco) * s.ci * s.kh;

/** The direct weight gradient: any geometry; its loop over the batch and pixels is not unrolled. */
export const WEIGHT_DIRECT_FAMILY: WeightGradFamily<'direct', WeightGradTile> = {
  kind: 'direct',
  tiles: WEIGHT_GRAD_TILES,
  applies: () => true,
  unroll: (t, s) => t.tco * s.kw,
  threads: directWeightThreads,
  preferred: false,
  run: conv2dWeightGradDirect,
};
