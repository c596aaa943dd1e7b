import type { BufferBinding, GpuContext } from '../context.js';
import {
  type BindingSpec,
  type BindingType,
  defineKernel,
  ENTRY_BUILTINS,
  input,
  LINEAR_WORKGROUP,
  output,
  elementEntry,
} from '../kernel.js';

/**
 * Batch normalization over NCHW: `c` channels, each seen in `n` planes of
 * `hw` elements. Training normalizes with the batch's statistics, so the
 * forward needs a per-channel reduction before the elementwise pass, and the
 * backward another one (the gradients of the statistics) before its
 * elementwise pass.
 */
export interface BatchNormShape {
  n: number;
  c: number;
  hw: number;
}

/**
 * Per-channel reductions: one workgroup per channel, its invocations
 * striding over the channel's n*hw elements, then a tree sum in workgroup
 * memory. Only c workgroups, but each is long; that keeps the sums in a
 * fixed order (reproducible) without atomics.
 */
const WG = 64;
/** hwv: a plane's length in the units the kernels load (hw floats, or hw / 4 vec4s). */
const SHAPE_PARAMS = [
  ['n', 'u32'],
  ['c', 'u32'],
  ['hw', 'u32'],
  ['hwv', 'u32'],
  ['eps', 'f32'],
] as const;

/**
 * Where a plane's length is a multiple of 4 the kernels load and store
 * vec4s: the CPU adapters turn each per-lane load into a gather, so 4
 * elements per gather is what brings these passes near the elementwise
 * kernels' bandwidth. Measured on llvmpipe at batch 32, 16 channels of
 * 64x64 (best of 9, same process): statistics 4.3 ms where scalar loads
 * took 7.1, apply (+ residual + ReLU) 4.4 vs 7.2.
 */
const vectorized = (hw: number) => hw % 4 === 0;
/** An element as the kernels load it: its WGSL type, its zero, and the sum of its parts. */
const lanes = (vec: boolean) => ({
  type: (vec ? 'vec4<f32>' : 'f32') as BindingType,
  zero: vec ? 'vec4<f32>(0.0)' : '0.0',
  total: (v: string) => (vec ? `(${v}.x + ${v}.y + ${v}.z + ${v}.w)` : v),
});
const shapeParams = (s: BatchNormShape, eps: number) => ({
  n: s.n,
  c: s.c,
  hw: s.hw,
  hwv: vectorized(s.hw) ? s.hw / 4 : s.hw,
  eps,
});

/**
 * WGSL: the workgroup-wide sum of each invocation's `v`, left in `total`
 * (every invocation sees it), reduced in workgroup array `part<k>`. Each sum
 * of a kernel gets its own array: Mesa's llvmpipe (through Dawn's OpenGL
 * back-end) was measured to read `total` after a later sum had overwritten
 * a shared slot, despite the barrier in between.
 */
const workgroupSum = (k: number, v: string, total: string) => `
  part${k}[lid] = ${v};
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part${k}[lid] = part${k}[lid] + part${k}[lid + s]; }
    workgroupBarrier();
  }
  let ${total} = part${k}[0];`;

/**
 * Lanes that read one run of consecutive elements together: an 8-lane
 * group (one SIMD vector of llvmpipe's 256-bit build, a quarter of a GPU
 * warp) reads 8 consecutive loads per step, so each group streams through
 * its own contiguous stretch of the channel. With the lanes striding the
 * whole workgroup apart instead, each 8-lane vector of llvmpipe (which runs
 * a workgroup's vectors one after another up to a barrier) touched 2 of
 * every 16 cache lines of a channel spread over 1.5 MB: 2.2 GB/s for the
 * statistics of 16 channels of 64x64 at batch 32.
 */
const RUN = 8;

/**
 * WGSL: `body` for every element X[i] of channel `ch` this invocation owns:
 * the channel's n·hwv loads split into WG / RUN contiguous stretches, one per
 * lane group, and read RUN at a time. (b, j) is image and position in the
 * plane, stepped without a division per load.
 */
const forChannelElements = (body: string) => `
  {
    let total = p.n * p.hwv;
    let stretch = ((total + ${WG - 1}u) / ${WG}u) * ${RUN}u;
    let start = (lid / ${RUN}u) * stretch + lid % ${RUN}u;
    let end = min((lid / ${RUN}u + 1u) * stretch, total);
    var b = start / max(p.hwv, 1u);
    var j = start % max(p.hwv, 1u);
    for (var e = start; e < end; e += ${RUN}u) {
      let i = (b * p.c + ch) * p.hwv + j;
      ${body.trim()}
      j += ${RUN}u;
      while (j >= p.hwv) { j -= p.hwv; b += 1u; }
    }
  }`;

const channelEntry = (body: string) => `var<workgroup> part0: array<f32, ${WG}>;
var<workgroup> part1: array<f32, ${WG}>;

@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  ${LINEAR_WORKGROUP}
  let ch = wg_linear;
  // No early return: every invocation must reach every barrier.
  let count = f32(p.n * p.hw);
  ${body.trim()}
}`;

/**
 * Stats = [mean (c), biased variance (c)]. Two passes over the channel
 * (mean first, then the squared deviations from it): the one-pass
 * E[x²] - E[x]² loses the variance to cancellation when the mean is large.
 */
const statsKernel = (vec: boolean) => {
  const l = lanes(vec);
  return defineKernel({
    name: 'batchnorm_stats',
    config: { vec },
    bindings: [input('X', l.type), output('Stats')],
    params: SHAPE_PARAMS,
    workgroupSize: WG,
    body: channelEntry(`
  var acc = ${l.zero};
  ${forChannelElements('acc += X[i];')}
  ${workgroupSum(0, l.total('acc'), 'sum')}
  let mean = sum / count;
  var dev = ${l.zero};
  ${forChannelElements('let d = X[i] - mean; dev += d * d;')}
  ${workgroupSum(1, l.total('dev'), 'sq')}
  if (lid == 0u) {
    Stats[ch] = mean;
    Stats[p.c + ch] = sq / count;
  }`),
  });
};

/**
 * Loads (floats or vec4s) each invocation of the elementwise passes takes,
 * as in the elementwise kernels: with vec4 loads, 4 per lane ran the apply
 * pass at 16x64x64 in 4.4 ms where 16 took 7.9 (llvmpipe, batch 32).
 */
const PER_LANE = 4;

/**
 * Images each invocation of the elementwise passes takes, for a plane of
 * `hw` loads: 1 where the plane has PER_LANE loads per lane of a workgroup
 * (a workgroup then covers one contiguous run), more for short planes (8x8
 * at the end of a ResNet), so a workgroup still has 64 x PER_LANE loads to
 * do. Measured on llvmpipe at batch 32 (scalar loads, 16 per lane): 128
 * channels of 8x8, the apply pass 1.5 ms where one plane per workgroup took
 * 8.0; the backward 6.1 vs 17.6.
 */
function imagesPerLane(hw: number): number {
  let along = PER_LANE;
  while (along > 1 && along * WG > hw) along /= 2;
  return PER_LANE / along;
}

/**
 * The entry of the elementwise passes: a grid of (chunk of a plane, plane)
 * or, for short planes, (chunk, channel, block of images). Either way the
 * channel is uniform in the workgroup (its constants are loaded once) and
 * no invocation divides by hw or c per element (integer division does not
 * vectorize on the CPU adapters, and per element it cost more than the
 * arithmetic).
 */
const planeEntry = (images: number, perChannel: string, body: string) => {
  const along = PER_LANE / images;
  const elements = (row: string) => `let first = wid.x * ${WG * along}u + lid;
  for (var k = 0u; k < ${along}u; k++) {
    let j = first + k * ${WG}u;
    if (j >= p.hwv) { break; }
    let i = ${row} + j;
    ${body.trim()}
  }`;
  const start =
    images === 1
      ? `let plane = wid.z * nwg.y + wid.y;
  if (plane >= p.n * p.c) { return; }
  let ch = plane % p.c;`
      : 'let ch = wid.y;';
  const loop =
    images === 1
      ? elements('plane * p.hwv')
      : `let b0 = wid.z * ${images}u;
  for (var b = b0; b < min(b0 + ${images}u, p.n); b++) {
    ${elements('(b * p.c + ch) * p.hwv')}
  }`;
  return `@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  ${start}
  // Once per invocation, not per element: the loads and the square root of the channel's constants.
  ${perChannel.trim()}
  ${loop}
}`;
};

/** The grid of planeEntry: [chunks of hw, planes] (y and z within the 65535 limit), or [chunks, channels, image blocks]. */
function planeGrid(op: string, s: BatchNormShape): [number, number, number] {
  const { hwv } = shapeParams(s, 0);
  const images = imagesPerLane(hwv);
  const chunks = Math.ceil(hwv / (WG * (PER_LANE / images)));
  if (images === 1) {
    const planes = s.n * s.c;
    const z = Math.ceil(planes / 65535);
    return [chunks, Math.ceil(planes / z), z];
  }
  const blocks = Math.ceil(s.n / images);
  if (s.c > 65535 || blocks > 65535)
    throw new Error(
      `${op}: [${s.n}, ${s.c}, ${s.hw}] exceeds the dispatch grid (at most 65535 channels and ${65535 * images} images)`,
    );
  return [chunks, s.c, blocks];
}

/**
 * The normalized-and-scaled value of X[i] in channel ch, plus R[i] with a
 * `residual` (a ResNet block's shortcut, added before its ReLU), and (with
 * `relu`) clamped at zero.
 */
const applyKernel = (relu: boolean, images: number, residual: boolean, vec: boolean) => {
  const l = lanes(vec);
  return defineKernel({
    name: 'batchnorm_apply',
    config: { relu, images, residual, vec },
    bindings: [
      input('X', l.type),
      input('Stats'),
      input('W'),
      input('B'),
      ...(residual ? [input('R', l.type)] : []),
      output('Y', l.type),
    ],
    params: SHAPE_PARAMS,
    workgroupSize: WG,
    body: planeEntry(
      images,
      `let mean = Stats[ch];
  let scale = W[ch] / sqrt(Stats[p.c + ch] + p.eps);
  let shift = B[ch];`,
      `let y = (X[i] - mean) * scale + shift${residual ? ' + R[i]' : ''};
    Y[i] = ${relu ? `max(y, ${l.zero})` : 'y'};`,
    ),
  });
};

/**
 * The gradient reaching the normalization: G, or with a fused ReLU, G where
 * the output was positive (the output Y is then an extra binding).
 */
const gradBindings = (relu: boolean, vec: boolean): BindingSpec[] => {
  const t = lanes(vec).type;
  return relu ? [input('G', t), input('Y', t)] : [input('G', t)];
};
const gradAtI = (relu: boolean, vec: boolean) => {
  const z = lanes(vec).zero;
  return relu ? `select(${z}, G[i], Y[i] > ${z})` : 'G[i]';
};

/**
 * Parameter gradients per channel: Sums = [dbeta = Σ g, dgamma = Σ g·x̂ (c each)],
 * x̂ = (x - mean) / sqrt(var + eps). The input gradient needs both.
 */
const backwardSumsKernel = (relu: boolean, vec: boolean) => {
  const l = lanes(vec);
  return defineKernel({
    name: 'batchnorm_backward_sums',
    config: { relu, vec },
    bindings: [...gradBindings(relu, vec), input('X', l.type), input('Stats'), output('Sums')],
    params: SHAPE_PARAMS,
    workgroupSize: WG,
    body: channelEntry(`
  let mean = Stats[ch];
  let invstd = 1.0 / sqrt(Stats[p.c + ch] + p.eps);
  var sg = ${l.zero};
  var sgx = ${l.zero};
  ${forChannelElements(`let g = ${gradAtI(relu, vec)}; sg += g; sgx += g * (X[i] - mean);`)}
  ${workgroupSum(0, l.total('sg'), 'dbeta')}
  ${workgroupSum(1, l.total('sgx'), 'dxmu')}
  if (lid == 0u) {
    Sums[ch] = dbeta;
    Sums[p.c + ch] = dxmu * invstd;
  }`),
  });
};

/**
 * dx = γ·invstd·(g - Σg/m - x̂·Σ(g·x̂)/m), m = n·hw: the gradient through
 * the batch mean and variance as well as through x itself.
 */
const backwardInputKernel = (relu: boolean, images: number, residualGrad: boolean, vec: boolean) => {
  const t = lanes(vec).type;
  return defineKernel({
    name: 'batchnorm_backward_input',
    config: { relu, images, residualGrad, vec },
    bindings: [
      ...gradBindings(relu, vec),
      input('X', t),
      input('Stats'),
      input('W'),
      input('Sums'),
      output('DX', t),
      ...(residualGrad ? [output('DR', t)] : []),
    ],
    params: SHAPE_PARAMS,
    workgroupSize: WG,
    body: planeEntry(
      images,
      `let count = f32(p.n * p.hw);
  let mean = Stats[ch];
  let invstd = 1.0 / sqrt(Stats[p.c + ch] + p.eps);
  let scale = W[ch] * invstd;
  let meanG = Sums[ch] / count;
  let meanGxhat = Sums[p.c + ch] / count;`,
      `let xhat = (X[i] - mean) * invstd;
    let g = ${gradAtI(relu, vec)};
    DX[i] = scale * (g - meanG - xhat * meanGxhat);${residualGrad ? '\n    DR[i] = g;' : ''}`,
    ),
  });
};

function check(op: string, s: BatchNormShape): number {
  for (const k of ['n', 'c', 'hw'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 0) throw new Error(`${op}: ${k} must be a non-negative integer, got ${s[k]}`);
  }
  if (s.n * s.hw <= 1 && s.c > 0)
    throw new Error(`${op}: expected more than 1 value per channel, got n=${s.n}, hw=${s.hw}`);
  return s.n * s.c * s.hw;
}

const label = (op: string, s: BatchNormShape) => `${op} [${s.n}, ${s.c}, ${s.hw}]`;

/** stats [2, c]: the batch mean and biased variance of each channel of x. */
export function batchNormStats(ctx: GpuContext, x: BufferBinding, stats: BufferBinding, s: BatchNormShape): void {
  if (check('batchNormStats', s) === 0) return;
  ctx.dispatch(statsKernel(vectorized(s.hw)), [x, stats], shapeParams(s, 0), s.c, label('batchNorm stats', s));
}

/**
 * y = (x - mean) / sqrt(var + eps) · w + b per channel, with stats [2, c]
 * (batch or running statistics) and w, b [c]; plus `residual` (x's shape)
 * when given; then max(y, 0) with `relu`.
 */
export function batchNormApply(
  ctx: GpuContext,
  x: BufferBinding,
  stats: BufferBinding,
  w: BufferBinding,
  b: BufferBinding,
  y: BufferBinding,
  s: BatchNormShape & { eps: number; relu: boolean },
  residual: BufferBinding | null = null,
): void {
  const total = s.n * s.c * s.hw;
  if (total === 0) return;
  const params = shapeParams(s, s.eps);
  const kernel = applyKernel(s.relu, imagesPerLane(params.hwv), residual !== null, vectorized(s.hw));
  ctx.dispatch(
    kernel,
    [x, stats, w, b, ...(residual ? [residual] : []), y],
    params,
    planeGrid('batchNormApply', s),
    label('batchNorm', s),
  );
}

/**
 * The training-mode backward, batch statistics `stats` [2, c]: sums
 * [dbias (c), dweight (c)] and dx. `y` is the forward's output, needed (and
 * only given) when the ReLU was fused; `dResidual` then receives the
 * gradient reaching a fused residual (g where y > 0), written by the same pass.
 */
export function batchNormBackward(
  ctx: GpuContext,
  g: BufferBinding,
  y: BufferBinding | null,
  x: BufferBinding,
  stats: BufferBinding,
  w: BufferBinding,
  sums: BufferBinding,
  dx: BufferBinding,
  s: BatchNormShape & { eps: number },
  dResidual: BufferBinding | null = null,
): void {
  const total = check('batchNormBackward', s);
  if (total === 0) return;
  const relu = y !== null;
  if (dResidual && !relu)
    throw new Error("batchNormBackward: without a fused ReLU the residual's gradient is the output gradient itself");
  const grads = relu ? [g, y] : [g];
  const params = shapeParams(s, s.eps);
  const vec = vectorized(s.hw);
  ctx.dispatch(
    backwardSumsKernel(relu, vec),
    [...grads, x, stats, sums],
    params,
    s.c,
    label('batchNorm backward sums', s),
  );
  const input = backwardInputKernel(relu, imagesPerLane(params.hwv), dResidual !== null, vec);
  ctx.dispatch(
    input,
    [...grads, x, stats, w, sums, dx, ...(dResidual ? [dResidual] : [])],
    params,
    planeGrid('batchNormBackward', s),
    label('batchNorm backward', s),
  );
}

/**
 * The running statistics' update of a training step, one invocation per
 * channel (one dispatch, where the composed update took eight):
 * [mean', var'] = keep · [mean, var] + [take · batch mean, takeVar · batch variance].
 */
const runningKernel = () =>
  defineKernel({
    name: 'batchnorm_running',
    bindings: [input('Stats'), input('RM'), input('RV'), output('Mean'), output('Var')],
    params: [
      ['c', 'u32'],
      ['keep', 'f32'],
      ['take', 'f32'],
      ['takeVar', 'f32'],
    ],
    workgroupSize: WG,
    body: elementEntry(
      WG,
      'ch',
      'p.c',
      `Mean[ch] = RM[ch] * p.keep + Stats[ch] * p.take;
  Var[ch] = RV[ch] * p.keep + Stats[p.c + ch] * p.takeVar;`,
    ),
  });

/**
 * The running mean and variance [c each, into `mean` and `variance`: each
 * is its own tensor's storage, so no copy splits them] after a training step with
 * batch statistics `stats` [2, c] (biased variance, of `count` values per
 * channel): PyTorch's running = (1 - momentum) · running + momentum · batch,
 * with the variance unbiased (· count / (count - 1)).
 */
export function batchNormRunning(
  ctx: GpuContext,
  stats: BufferBinding,
  runningMean: BufferBinding,
  runningVar: BufferBinding,
  mean: BufferBinding,
  variance: BufferBinding,
  s: { c: number; count: number; momentum: number },
): void {
  if (s.c === 0) return;
  if (!(s.count > 1)) throw new Error(`batchNormRunning: expected more than 1 value per channel, got ${s.count}`);
  const params = { c: s.c, keep: 1 - s.momentum, take: s.momentum, takeVar: (s.momentum * s.count) / (s.count - 1) };
  ctx.dispatch(
    runningKernel(),
    [stats, runningMean, runningVar, mean, variance],
    params,
    Math.ceil(s.c / WG),
    `batchNorm running statistics [${s.c}]`,
  );
}
