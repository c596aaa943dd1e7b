import type { BufferBinding, GpuContext } from '../context.js';
import { allOf, defineKernel, ENTRY_BUILTINS, fmaChain, LINEAR_WORKGROUP, memoKernel, range } from '../kernel.js';
import type { ParamSpec } from '../params.js';
import { matmulTiled } from './matmul-tiled.js';
import { TILED_GEMM_CONFIGS, type TiledGemmConfig } from './tiled-gemm.js';
import type { CandidateInfo } from '../kernel-class.js';

export interface MatmulShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] (read transposed) instead of [m, k]. */
  transA: boolean;
  /** B is stored [n, k] (read transposed) instead of [k, n]. */
  transB: boolean;
  /** Elements between consecutive batch matrices; 0 broadcasts one matrix over the batch. */
  aBatchStride: number;
  bBatchStride: number;
}

/**
 * A register-tiled matmul variant (the CPU-shaped ones): each invocation
 * computes a tm x tn tile, no workgroup memory. 'vec4' variants load 4
 * floats at a time along each operand's contiguous dimension (so they need
 * those dims divisible by 4); 'scalar' runs on any shape.
 */
export interface RegisterMatmulConfig {
  kind: 'vec4' | 'scalar';
  tm: number;
  tn: number;
  wg: number;
}

/** A matmul variant: register-tiled, or the workgroup-memory tiled GEMM (any shape). */
export type MatmulConfig = RegisterMatmulConfig | TiledGemmConfig;

export const REGISTER_MATMUL_CONFIGS: readonly RegisterMatmulConfig[] = [
  { kind: 'vec4', tm: 16, tn: 16, wg: 16 },
  { kind: 'vec4', tm: 16, tn: 8, wg: 64 },
  { kind: 'vec4', tm: 8, tn: 8, wg: 64 },
  { kind: 'vec4', tm: 4, tn: 8, wg: 64 },
  { kind: 'vec4', tm: 8, tn: 4, wg: 64 },
  // One row per invocation: a batch-1 layer (m = 1), where the taller tiles recompute one row tm times.
  { kind: 'vec4', tm: 1, tn: 8, wg: 64 },
  { kind: 'vec4', tm: 1, tn: 4, wg: 64 },
  { kind: 'scalar', tm: 4, tn: 4, wg: 64 },
];

/** Every matmul variant: the register-tiled ones, then the workgroup-memory tiled ones. */
export const MATMUL_CONFIGS: readonly MatmulConfig[] = [...REGISTER_MATMUL_CONFIGS, ...TILED_GEMM_CONFIGS];

const PARAMS = [
  ['batch', 'u32'],
  ['m', 'u32'],
  ['n', 'u32'],
  ['k', 'u32'],
  ['abs', 'u32'],
  ['bbs', 'u32'],
  ['tilesM', 'u32'],
  ['tilesN', 'u32'],
  ['hasBias', 'u32'],
] as const;

/** What the candidate filter needs of a matmul variant (see kernel-class.ts). */
export function matmulVariantInfo(c: MatmulConfig): CandidateInfo {
  return { tiled: c.kind === 'tiled', unroll: c.kind === 'tiled' ? (c.tm * c.tn) / 4 : c.tm * c.tn };
}

/** Which vec4 variants a shape allows: the vectorized dims must be multiples of 4. */
export function vec4Allowed(s: MatmulShape, c: MatmulConfig): boolean {
  if (c.kind !== 'vec4') return true;
  if (s.transA && s.transB) return false;
  const div4 = (x: number) => x % 4 === 0;
  if (!s.transA && !s.transB) return div4(s.k) && div4(s.n) && c.tn % 4 === 0;
  if (!s.transA && s.transB) return div4(s.k);
  return div4(s.m) && div4(s.n) && c.tm % 4 === 0 && c.tn % 4 === 0;
}

const header = (tm: number, tn: number, wg: number) => `
@compute @workgroup_size(${wg})
fn main(${ENTRY_BUILTINS}) {
  ${LINEAR_WORKGROUP}
  let t = wg_linear * ${wg}u + lid;
  let tiles = p.tilesM * p.tilesN;
  let b = t / tiles;
  if (b >= p.batch) { return; }
  let row0 = ((t % tiles) / p.tilesN) * ${tm}u;
  let col0 = (t % p.tilesN) * ${tn}u;
  let aOff = b * p.abs;
  let bOff = b * p.bbs;
  let cOff = b * p.m * p.n;`;

/** What differs between the register-tiled matmuls; the rest (bindings, tile header, loop, stores) is one skeleton. */
interface RegisterParts {
  name: string;
  /** A and B element types, and Bias and C (vec4 when the accumulators run along n in vec4s). */
  inputs: 'f32' | 'vec4<f32>';
  outputs: 'f32' | 'vec4<f32>';
  extraParams?: ParamSpec;
  prologue?: string[];
  rowBase: string[];
  colBase: string[];
  acc: string[];
  /** The k loop's header, e.g. `for (var k = 0u; k < p.k; k++)`. */
  loop: string;
  body: string[];
  store: string[];
}

function registerKernel(c: RegisterMatmulConfig, parts: RegisterParts) {
  const { tm, tn, wg } = c;
  const lines = (xs: readonly string[] | undefined, indent: string) => (xs ?? []).join(`\n${indent}`);
  return defineKernel({
    name: parts.name,
    config: { ...c },
    bindings: [
      { name: 'A', type: parts.inputs, access: 'read' },
      { name: 'B', type: parts.inputs, access: 'read' },
      { name: 'Bias', type: parts.outputs, access: 'read' },
      { name: 'C', type: parts.outputs, access: 'read_write' },
    ],
    params: parts.extraParams ? [...PARAMS, ...parts.extraParams] : PARAMS,
    workgroupSize: wg,
    body: `${header(tm, tn, wg)}
  ${lines(parts.prologue, '  ')}
  ${lines(parts.rowBase, '  ')}
  ${lines(parts.colBase, '  ')}
  ${lines(parts.acc, '  ')}
  ${parts.loop} {
    ${lines(parts.body, '    ')}
  }
  ${lines(parts.store, '  ')}
}`,
  });
}

/** Guarded stores of the tile: scalar (one column each) or vec4 (4 columns each, `n4` wide). */
function storeTile(rows: number, cols: number, vec4: boolean): string[] {
  const col = vec4 ? 'col4' : 'col0';
  const bound = vec4 ? 'n4' : 'p.n';
  const at = vec4
    ? (i: number, j: number) => `(cOff + (row0 + ${i}u) * p.n) / 4u + col4 + ${j}u`
    : (i: number, j: number) => `cOff + (row0 + ${i}u) * p.n + col0 + ${j}u`;
  const zero = vec4 ? 'vec4<f32>(0.0)' : '0.0';
  return range(rows).flatMap((i) =>
    range(cols).map(
      (j) =>
        `if ${allOf(`row0 + ${i}u < p.m`, `${col} + ${j}u < ${bound}`)} { C[${at(i, j)}] = c${i}_${j} + select(${zero}, Bias[${col} + ${j}u], p.hasBias != 0u); }`,
    ),
  );
}

/** Scalar loads, any shape and transposes. */
function scalarKernel(c: RegisterMatmulConfig) {
  const { tm, tn } = c;
  return registerKernel(c, {
    name: 'matmul_scalar',
    inputs: 'f32',
    outputs: 'f32',
    extraParams: [
      ['transA', 'u32'],
      ['transB', 'u32'],
    ],
    prologue: [
      'let ars = select(p.k, 1u, p.transA != 0u);',
      'let acs = select(1u, p.m, p.transA != 0u);',
      'let brs = select(p.n, 1u, p.transB != 0u);',
      'let bcs = select(1u, p.k, p.transB != 0u);',
    ],
    rowBase: range(tm).map((i) => `let ar${i} = aOff + min(row0 + ${i}u, p.m - 1u) * ars;`),
    colBase: range(tn).map((j) => `let bc${j} = bOff + min(col0 + ${j}u, p.n - 1u) * bcs;`),
    acc: range(tm).flatMap((i) => range(tn).map((j) => `var c${i}_${j} = 0.0;`)),
    loop: 'for (var k = 0u; k < p.k; k++)',
    body: [
      ...range(tm).map((i) => `let a${i} = A[ar${i} + k * acs];`),
      ...range(tn).map((j) => `let b${j} = B[bc${j} + k * brs];`),
      ...range(tm).flatMap((i) => range(tn).map((j) => `c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`)),
    ],
    store: storeTile(tm, tn, false),
  });
}

/** A [m, k] · B [k, n]: a_i = A[i, k..k+3], b_kk = B[k+kk, j..j+3]; vec4 accumulators along n. */
function vec4NN(c: RegisterMatmulConfig) {
  const { tm, tn } = c;
  const tn4 = tn / 4;
  return registerKernel(c, {
    name: 'matmul_vec4_nn',
    inputs: 'vec4<f32>',
    outputs: 'vec4<f32>',
    prologue: ['let n4 = p.n / 4u;', 'let col4 = col0 / 4u;'],
    rowBase: range(tm).map((i) => `let ar${i} = (aOff + min(row0 + ${i}u, p.m - 1u) * p.k) / 4u;`),
    colBase: range(tn4).map((j) => `let bc${j} = bOff / 4u + min(col4 + ${j}u, n4 - 1u);`),
    acc: range(tm).flatMap((i) => range(tn4).map((j) => `var c${i}_${j} = vec4<f32>(0.0);`)),
    loop: 'for (var k4 = 0u; k4 < p.k / 4u; k4++)',
    body: [
      'let brow = 4u * k4 * n4;',
      ...range(tm).map((i) => `let a${i} = A[ar${i} + k4];`),
      ...range(4).flatMap((kk) => range(tn4).map((j) => `let b${kk}_${j} = B[bc${j} + brow + ${kk}u * n4];`)),
      // One store per accumulator and k4 (fmaChain says why).
      ...range(tm).flatMap((i) =>
        range(tn4).map(
          (j) =>
            `c${i}_${j} = ${fmaChain(
              `c${i}_${j}`,
              range(4).map((kk) => [`vec4<f32>(a${i}[${kk}])`, `b${kk}_${j}`] as const),
            )};`,
        ),
      ),
    ],
    store: storeTile(tm, tn4, true),
  });
}

/** A [m, k] · (B [n, k])ᵀ: both operands vec4 along k; scalar accumulators as dot products. */
function vec4NT(c: RegisterMatmulConfig) {
  const { tm, tn } = c;
  return registerKernel(c, {
    name: 'matmul_vec4_nt',
    inputs: 'vec4<f32>',
    outputs: 'f32',
    rowBase: range(tm).map((i) => `let ar${i} = (aOff + min(row0 + ${i}u, p.m - 1u) * p.k) / 4u;`),
    colBase: range(tn).map((j) => `let bc${j} = (bOff + min(col0 + ${j}u, p.n - 1u) * p.k) / 4u;`),
    acc: range(tm).flatMap((i) => range(tn).map((j) => `var c${i}_${j} = 0.0;`)),
    loop: 'for (var k4 = 0u; k4 < p.k / 4u; k4++)',
    body: [
      ...range(tm).map((i) => `let a${i} = A[ar${i} + k4];`),
      ...range(tn).map((j) => `let b${j} = B[bc${j} + k4];`),
      ...range(tm).flatMap((i) => range(tn).map((j) => `c${i}_${j} += dot(a${i}, b${j});`)),
    ],
    store: storeTile(tm, tn, false),
  });
}

/** (A [k, m])ᵀ · B [k, n]: rank-1 updates per k, vec4 along m for A and along n for B. */
function vec4TN(c: RegisterMatmulConfig) {
  const { tm, tn } = c;
  const tm4 = tm / 4;
  const tn4 = tn / 4;
  return registerKernel(c, {
    name: 'matmul_vec4_tn',
    inputs: 'vec4<f32>',
    outputs: 'vec4<f32>',
    prologue: ['let m4 = p.m / 4u;', 'let n4 = p.n / 4u;', 'let row4 = row0 / 4u;', 'let col4 = col0 / 4u;'],
    rowBase: range(tm4).map((i) => `let ar${i} = aOff / 4u + min(row4 + ${i}u, m4 - 1u);`),
    colBase: range(tn4).map((j) => `let bc${j} = bOff / 4u + min(col4 + ${j}u, n4 - 1u);`),
    acc: range(tm).flatMap((i) => range(tn4).map((j) => `var c${i}_${j} = vec4<f32>(0.0);`)),
    loop: 'for (var k = 0u; k < p.k; k++)',
    body: [
      ...range(tm4).map((i) => `let a${i} = A[ar${i} + k * m4];`),
      ...range(tn4).map((j) => `let b${j} = B[bc${j} + k * n4];`),
      ...range(tm).flatMap((i) =>
        range(tn4).map((j) => `c${i}_${j} = fma(vec4<f32>(a${Math.floor(i / 4)}[${i % 4}]), b${j}, c${i}_${j});`),
      ),
    ],
    store: storeTile(tm, tn4, true),
  });
}

/** The register kernel of a config for a shape's transposes (built once per pair). */
const kernelFor = memoKernel(
  (s: MatmulShape, c: RegisterMatmulConfig) => {
    if (c.kind === 'scalar') return scalarKernel(c);
    if (!s.transA && !s.transB) return vec4NN(c);
    if (!s.transA && s.transB) return vec4NT(c);
    return vec4TN(c);
  },
  (s, c) => JSON.stringify([c, c.kind === 'scalar' ? null : [s.transA, s.transB]]),
);

/**
 * Whether a register tile's rows are at most half padding for this shape
 * (tm <= 2m): at m = 1 (batch-1 inference) a 16-row tile computes the one
 * row 16 times. The scalar kernel, the one that runs on any shape, and the
 * tiled GEMM always fit.
 */
export function matmulTileFits(s: MatmulShape, c: MatmulConfig): boolean {
  return c.kind !== 'vec4' || c.tm <= 2 * s.m;
}

/** The configs a shape allows: vec4 loads that divide it, tiles that are not mostly padding. */
export const matmulConfigsFor = (s: MatmulShape, configs: readonly MatmulConfig[] = MATMUL_CONFIGS) =>
  configs.filter((c) => vec4Allowed(s, c) && matmulTileFits(s, c));

/** The first config of `configs` the shape allows (scalar always does). */
export function defaultMatmulConfig(s: MatmulShape, configs: readonly MatmulConfig[] = MATMUL_CONFIGS): MatmulConfig {
  return matmulConfigsFor(s, configs)[0] ?? REGISTER_MATMUL_CONFIGS[REGISTER_MATMUL_CONFIGS.length - 1]!;
}

export function matmulLabel(s: MatmulShape): string {
  return `matmul [${s.batch}x${s.m}x${s.k}]${s.transA ? 'ᵀ' : ''} · [${s.k}x${s.n}]${s.transB ? 'ᵀ' : ''}`;
}

/**
 * C[b] = op(A[b]) · op(B[b]) (+ bias[n] on every row); C is contiguous
 * [batch, m, n]. `config` picks the variant (default: the first the shape
 * allows); a vec4 config the shape does not allow is an error.
 */
export function matmul(
  ctx: GpuContext,
  a: BufferBinding,
  b: BufferBinding,
  c: BufferBinding,
  s: MatmulShape,
  bias: BufferBinding | null = null,
  config: MatmulConfig = defaultMatmulConfig(s),
): void {
  if (s.batch === 0 || s.m === 0 || s.n === 0) return;
  if (!vec4Allowed(s, config))
    throw new Error(`${matmulLabel(s)}: variant ${JSON.stringify(config)} does not fit this shape`);
  if (config.kind === 'tiled') {
    matmulTiled(ctx, a, b, c, s, bias, config, matmulLabel(s));
    return;
  }
  const vecAligned = config.kind === 'vec4';
  if (vecAligned && (s.aBatchStride % 4 !== 0 || s.bBatchStride % 4 !== 0)) {
    throw new Error(`${matmulLabel(s)}: vec4 variants need batch strides divisible by 4`);
  }
  const tilesM = Math.ceil(s.m / config.tm);
  const tilesN = Math.ceil(s.n / config.tn);
  const kernel = kernelFor(s, config);
  ctx.dispatch(
    kernel,
    // Without a bias, A stands in for the unused binding (never read).
    [a, b, bias ?? a, c],
    {
      batch: s.batch,
      m: s.m,
      n: s.n,
      k: s.k,
      abs: s.aBatchStride,
      bbs: s.bBatchStride,
      tilesM,
      tilesN,
      hasBias: bias ? 1 : 0,
      ...(config.kind === 'scalar' ? { transA: s.transA ? 1 : 0, transB: s.transB ? 1 : 0 } : {}),
    },
    Math.ceil((s.batch * tilesM * tilesN) / config.wg),
    matmulLabel(s),
  );
}
