import { type ParamSpec, paramStruct } from './params.js';

/** Element type of a storage binding as the WGSL sees it. */
export type BindingType = 'f32' | 'i32' | 'u32' | 'vec4<f32>' | 'vec2<f32>' | 'vec2<i32>';

export interface BindingSpec {
  readonly name: string;
  readonly type: BindingType;
  /** 'read' for inputs; 'read_write' for outputs. */
  readonly access: 'read' | 'read_write';
}

/** A storage binding the kernel reads (f32 unless said). */
export const input = (name: string, type: BindingType = 'f32'): BindingSpec => ({ name, type, access: 'read' });

/** A storage binding the kernel writes (f32 unless said). */
export const output = (name: string, type: BindingType = 'f32'): BindingSpec => ({ name, type, access: 'read_write' });

/**
 * One compiled WGSL program variant. `key` is unique per (program, config):
 * the context compiles each key once. Storage bindings are numbered in order,
 * and the uniform parameter block takes the next binding.
 */
export interface Kernel {
  readonly name: string;
  readonly key: string;
  readonly bindings: readonly BindingSpec[];
  readonly params: ParamSpec;
  readonly workgroupSize: number;
  readonly wgsl: string;
}

/**
 * WGSL that turns a 2-D workgroup grid back into one linear workgroup index.
 * Large 1-D launches are split over x and y because each grid dimension is
 * capped (maxComputeWorkgroupsPerDimension, 65535 on every adapter seen).
 */
export const LINEAR_WORKGROUP = 'let wg_linear = wid.y * nwg.x + wid.x;';
export const ENTRY_BUILTINS =
  '@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, ' +
  '@builtin(local_invocation_index) lid: u32';

/**
 * The entry point of a kernel with one invocation per element: `lane` is the
 * invocation's linear index (over a 1-D or split 2-D grid), and invocations
 * past `count` (a WGSL expression) return at once.
 */
export function elementEntry(wg: number, lane: string, count: string, body: string): string {
  return `@compute @workgroup_size(${wg})
fn main(${ENTRY_BUILTINS}) {
  ${LINEAR_WORKGROUP}
  let ${lane} = wg_linear * ${wg}u + lid;
  if (${lane} >= ${count}) { return; }
  ${body.trim()}
}`;
}

/** elementEntry for the common case: invocation `i` for each element i < p.n. */
export const perElement = (wg: number, body: string): string => elementEntry(wg, 'i', 'p.n', body);

/**
 * NaN and infinity for kernels: WGSL rejects them as constants, so they are
 * built from a private variable, which is not a constant expression.
 */
export const SPECIAL_FLOATS = `
var<private> zero_bits: u32 = 0u;
fn f32_inf() -> f32 { return bitcast<f32>(0x7f800000u + zero_bits); }
fn f32_nan() -> f32 { return bitcast<f32>(0x7fc00000u + zero_bits); }
// x != x is folded to false by some shader compilers (SwiftShader): test the bits.
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`;

/**
 * WGSL's `a && b` short-circuits, so the shader compiler turns every one into
 * a branch. In an unrolled kernel body that means hundreds of tiny blocks,
 * and SwiftShader's JIT, which emulates divergent control flow with lane
 * masks per block, then needs minutes and gigabytes to compile the shader
 * (a 3x3 convolution with 24 guarded loads never finished). Generated
 * kernels therefore combine conditions with the non-short-circuit `&`,
 * which stays one straight-line boolean expression. Use this for every
 * condition a generator emits.
 */
export function allOf(...terms: string[]): string {
  return terms.length === 1 ? `(${terms[0]})` : terms.map((t) => `(${t})`).join(' & ');
}

/** The `||` counterpart of `allOf` (non-short-circuit `|`). */
export function anyOf(...terms: string[]): string {
  return terms.length === 1 ? `(${terms[0]})` : terms.map((t) => `(${t})`).join(' | ');
}

/**
 * `acc` plus the products of `terms`, in order, as one nested WGSL fma
 * expression: what a reduction loop assigns to each accumulator once per
 * trip (the same sums, rounding included, as one statement per product).
 * SwiftShader keeps a loop's `var`s in memory and masks every store to
 * one (load, blend, store), so the stores, not the multiplies, set the
 * rate: a GEMM-shaped loop with 16 x 8 vec4 accumulators ran 5.0 GFLOP/s
 * with a store per product and 11.9 with one per 4.
 */
export function fmaChain(acc: string, terms: readonly (readonly [string, string])[]): string {
  return terms.reduce((e, [a, b]) => `fma(${a}, ${b}, ${e})`, acc);
}

/** 0, 1, ..., n - 1: what generators unroll over. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const cache = new Map<string, Kernel>();

/**
 * A kernel generator that builds its kernel once per distinct arguments
 * (`key` names them; by default their JSON). Generators run on every
 * dispatch, and defineKernel's cache is consulted only after the caller has
 * built the body text: an unrolled 36-plane Winograd GEMM's takes about
 * 190 µs to build, on every call.
 */
export function memoKernel<A extends unknown[], K = Kernel>(
  make: (...args: A) => K,
  key: (...args: A) => string = (...args) => JSON.stringify(args),
): (...args: A) => K {
  const made = new Map<string, K>();
  return (...args) => {
    const k = key(...args);
    let kernel = made.get(k);
    if (kernel === undefined) {
      kernel = make(...args);
      made.set(k, kernel);
    }
    return kernel;
  };
}

/**
 * Builds (once per key) a kernel from its body: the bindings and the
 * parameter struct are generated from their specs so they cannot disagree
 * with what the dispatcher binds and writes.
 */
export function defineKernel(spec: {
  name: string;
  config?: Record<string, string | number | boolean>;
  bindings: readonly BindingSpec[];
  params: ParamSpec;
  workgroupSize: number;
  /** WGSL after the declarations; must define `@compute fn main`. */
  body: string;
}): Kernel {
  const key = `${spec.name}:${JSON.stringify(spec.config ?? {})}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const decls = spec.bindings.map(
    (b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${b.type}>;`,
  );
  decls.push(paramStruct(spec.params));
  decls.push(`@group(0) @binding(${spec.bindings.length}) var<uniform> p: Params;`);
  const wgsl = `${decls.join('\n')}\n\n${spec.body}\n`;
  const kernel: Kernel = {
    name: spec.name,
    key,
    bindings: spec.bindings,
    params: spec.params,
    workgroupSize: spec.workgroupSize,
    wgsl,
  };
  cache.set(key, kernel);
  return kernel;
}
