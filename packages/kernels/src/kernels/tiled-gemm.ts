import { allOf, type BindingSpec, defineKernel, type Kernel, range } from '../kernel.js';
import type { ParamSpec } from '../params.js';

/**
 * The GPU-shaped GEMM template: C[M, N] = A[M, K] · B[K, N], one workgroup
 * per bm x bn block of C, each invocation a tm x tn register tile, and the
 * K dimension walked bk at a time through workgroup memory.
 *
 * Operands are not buffers but gather functions, so one template serves the
 * dense matmul (any transposes) and the three convolution passes as
 * implicit GEMMs (the im2col matrix is never materialised). An instance
 * defines, in WGSL:
 *
 *   fn loadA(z: u32, row: u32, k: u32) -> f32     // row < M, k < K guaranteed
 *   fn loadB(z: u32, k: u32, col: u32) -> f32     // k < K, col < N guaranteed
 *   fn storeC(z: u32, row: u32, col: u32, v: f32) // row < M, col < N guaranteed
 *
 * and fills the uniform parameters `gm`, `gn`, `gk` (M, N, K) and `kChunk`.
 * The grid's z is passed through: a batch index (`splitK` false: each z
 * walks all of K) or a split-K index (z walks [z*kChunk, (z+1)*kChunk), and
 * storeC writes a partial result that the caller sums).
 *
 * Tiles are double-buffered: while the block computes on one bk slice, each
 * invocation already holds the next slice's elements in registers and writes
 * them to the other buffer, so one barrier per slice suffices.
 */
export interface TiledGemmConfig {
  kind: 'tiled';
  /** Block of C per workgroup. */
  bm: number;
  bn: number;
  /** K slice per workgroup-memory stage. */
  bk: number;
  /** Register tile per invocation (tn a multiple of 4: vec4 accumulators along N). */
  tm: number;
  tn: number;
}

/**
 * Most promising first (the first is the default when tuning is off). All
 * use 256 invocations or fewer and at most 24 KiB of workgroup memory,
 * within WebGPU's default limits.
 */
export const TILED_GEMM_CONFIGS: readonly TiledGemmConfig[] = [
  { kind: 'tiled', bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 },
  { kind: 'tiled', bm: 128, bn: 64, bk: 8, tm: 8, tn: 4 },
  { kind: 'tiled', bm: 64, bn: 128, bk: 8, tm: 4, tn: 8 },
  { kind: 'tiled', bm: 32, bn: 32, bk: 16, tm: 2, tn: 4 },
];

export const tiledWorkgroupSize = (c: TiledGemmConfig) => (c.bm / c.tm) * (c.bn / c.tn);

/** Bytes of workgroup memory a config uses (two stages of the A and B tiles). */
export const tiledWorkgroupBytes = (c: TiledGemmConfig) => 2 * 4 * c.bk * (c.bm + c.bn);

/** Whether a config fits a device's limits. */
export function tiledFits(c: TiledGemmConfig, limits: GPUSupportedLimits): boolean {
  const wg = tiledWorkgroupSize(c);
  return (
    wg <= limits.maxComputeInvocationsPerWorkgroup &&
    wg <= limits.maxComputeWorkgroupSizeX &&
    tiledWorkgroupBytes(c) <= limits.maxComputeWorkgroupStorageSize
  );
}

function checkConfig(c: TiledGemmConfig): void {
  const wg = tiledWorkgroupSize(c);
  const ok =
    c.bm % c.tm === 0 && c.bn % c.tn === 0 && c.tn % 4 === 0 && (c.bm * c.bk) % wg === 0 && (c.bk * c.bn) % wg === 0;
  if (!ok) throw new Error(`tiled GEMM: config ${JSON.stringify(c)} does not divide into its workgroup`);
}

const SPLIT_K_RANGE = `let kBegin = min(z * p.kChunk, p.gk);
  let kEnd = min(kBegin + p.kChunk, p.gk);`;
const WHOLE_K_RANGE = `let kBegin = 0u;
  let kEnd = p.gk;`;

/** M, N, K, and the K range of one split-K chunk. */
export const TILED_PARAMS: ParamSpec = [
  ['gm', 'u32'],
  ['gn', 'u32'],
  ['gk', 'u32'],
  ['kChunk', 'u32'],
];

export function tiledGemmKernel(spec: {
  name: string;
  config: TiledGemmConfig;
  /** Extra generation-time settings that change the WGSL (part of the cache key). */
  variant?: Record<string, string | number | boolean>;
  /** Grid z splits K into chunks (else z is a batch index and walks all of K). */
  splitK: boolean;
  bindings: readonly BindingSpec[];
  /** Instance parameters, after TILED_PARAMS. */
  params: ParamSpec;
  /** WGSL defining loadA, loadB and storeC (and helpers). */
  functions: string;
}): Kernel {
  const c = spec.config;
  checkConfig(c);
  const { bm, bn, bk, tm, tn } = c;
  const wg = tiledWorkgroupSize(c);
  const tn4 = tn / 4;
  const threadsN = bn / tn;
  const loadsA = (bm * bk) / wg;
  const loadsB = (bk * bn) / wg;
  // Element e of the A tile is (row e / bk, k e % bk): consecutive
  // invocations read consecutive k, the contiguous dimension of a row-major
  // A. The B tile is (k e / bn, col e % bn): consecutive columns.
  const fetchA = range(loadsA).map(
    (i) => `let ra${i} = row0 + ea${i} / ${bk}u;
    let ka${i} = k0 + ea${i} % ${bk}u;
    pa${i} = select(0.0, loadA(z, min(ra${i}, p.gm - 1u), min(ka${i}, p.gk - 1u)), ${allOf(`ra${i} < p.gm`, `ka${i} < kEnd`)});`,
  );
  const fetchB = range(loadsB).map(
    (i) => `let kb${i} = k0 + eb${i} / ${bn}u;
    let cb${i} = col0 + eb${i} % ${bn}u;
    pb${i} = select(0.0, loadB(z, min(kb${i}, p.gk - 1u), min(cb${i}, p.gn - 1u)), ${allOf(`kb${i} < kEnd`, `cb${i} < p.gn`)});`,
  );
  // Workgroup memory holds A transposed ([k][m]) so an invocation's tm rows
  // at one k are adjacent, like its tn columns of B.
  const stash = [
    ...range(loadsA).map((i) => `As[stage * ${bk * bm}u + (ea${i} % ${bk}u) * ${bm}u + ea${i} / ${bk}u] = pa${i};`),
    ...range(loadsB).map((i) => `Bs[stage * ${bk * bn}u + eb${i}] = pb${i};`),
  ];
  const acc = range(tm).flatMap((i) => range(tn4).map((j) => `var c${i}_${j} = vec4<f32>(0.0);`));
  const readA = range(tm).map((i) => `let a${i} = As[abase + ${i}u];`);
  const readB = range(tn4).map(
    (j) =>
      `let b${j} = vec4<f32>(Bs[bbase + ${4 * j}u], Bs[bbase + ${4 * j + 1}u], Bs[bbase + ${4 * j + 2}u], Bs[bbase + ${4 * j + 3}u]);`,
  );
  const fmas = range(tm).flatMap((i) =>
    range(tn4).map((j) => `c${i}_${j} = fma(vec4<f32>(a${i}), b${j}, c${i}_${j});`),
  );
  const stores = range(tm).flatMap((i) =>
    range(tn4).flatMap((j) =>
      range(4).map(
        (q) =>
          `if ${allOf(`r0 + ${i}u < p.gm`, `cl0 + ${4 * j + q}u < p.gn`)} { storeC(z, r0 + ${i}u, cl0 + ${4 * j + q}u, c${i}_${j}[${q}]); }`,
      ),
    ),
  );
  return defineKernel({
    name: spec.name,
    config: { ...c, ...spec.variant, splitK: spec.splitK },
    bindings: spec.bindings,
    params: [...TILED_PARAMS, ...spec.params],
    workgroupSize: wg,
    body: `
var<workgroup> As: array<f32, ${2 * bk * bm}>;
var<workgroup> Bs: array<f32, ${2 * bk * bn}>;

${spec.functions}

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // No early return: every invocation must reach the barriers. Out-of-range
  // rows and columns load zeros and skip their stores.
  let col0 = wid.x * ${bn}u;
  let row0 = wid.y * ${bm}u;
  let z = wid.z;
  ${spec.splitK ? SPLIT_K_RANGE : WHOLE_K_RANGE}
  let slices = (kEnd - kBegin + ${bk - 1}u) / ${bk}u;
  let tx = lid % ${threadsN}u;
  let ty = lid / ${threadsN}u;
  ${range(loadsA)
    .map((i) => `let ea${i} = lid + ${i * wg}u;`)
    .join(' ')}
  ${range(loadsB)
    .map((i) => `let eb${i} = lid + ${i * wg}u;`)
    .join(' ')}
  ${range(loadsA)
    .map((i) => `var pa${i} = 0.0;`)
    .join(' ')}
  ${range(loadsB)
    .map((i) => `var pb${i} = 0.0;`)
    .join(' ')}
  ${acc.join('\n  ')}
  var k0 = kBegin;
  var stage = 0u;
  if (slices > 0u) {
    ${fetchA.join('\n    ')}
    ${fetchB.join('\n    ')}
    ${stash.join('\n    ')}
  }
  workgroupBarrier();
  for (var s = 0u; s < slices; s++) {
    let more = s + 1u < slices;
    k0 = kBegin + (s + 1u) * ${bk}u;
    if (more) {
      ${fetchA.join('\n      ')}
      ${fetchB.join('\n      ')}
    }
    for (var kk = 0u; kk < ${bk}u; kk++) {
      let abase = stage * ${bk * bm}u + kk * ${bm}u + ty * ${tm}u;
      let bbase = stage * ${bk * bn}u + kk * ${bn}u + tx * ${tn}u;
      ${readA.join('\n      ')}
      ${readB.join('\n      ')}
      ${fmas.join('\n      ')}
    }
    stage = 1u - stage;
    if (more) {
      ${stash.join('\n      ')}
    }
    workgroupBarrier();
  }
  let r0 = row0 + ty * ${tm}u;
  let cl0 = col0 + tx * ${tn}u;
  ${stores.join('\n  ')}
}`,
  });
}

/** The workgroup grid of a tiled GEMM: [N blocks, M blocks, z]. */
export function tiledGrid(c: TiledGemmConfig, m: number, n: number, z: number): [number, number, number] {
  return [Math.ceil(n / c.bn), Math.ceil(m / c.bm), z];
}
