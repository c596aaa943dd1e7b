import type { BufferBinding, GpuContext } from '../context.js';
import { defineKernel, elementEntry, perElement, input, output, SPECIAL_FLOATS } from '../kernel.js';
import { at, numel, rankParams } from './strided.js';

const WG = 64;

/**
 * Unary ops, one record each: the WGSL expression of `x` (and `p.s`, the
 * op's scalar: exponent, factor, … where it has one) and the same function
 * for the cpu backend, side by side so they cannot drift apart.
 */
export const UNARY_OPS = {
  copy: { wgsl: 'x', cpu: (x) => x },
  neg: { wgsl: '-x', cpu: (x) => -x },
  exp: { wgsl: 'exp(x)', cpu: Math.exp },
  log: { wgsl: 'log(x)', cpu: Math.log },
  sqrt: { wgsl: 'sqrt(x)', cpu: Math.sqrt },
  abs: { wgsl: 'abs(x)', cpu: Math.abs },
  // biome-ignore lint/complexity/useMathMinMax: unlike Math.max, NaN and -0 map to 0 here
  relu: { wgsl: 'max(x, 0.0)', cpu: (x) => (x > 0 ? x : 0) },
  // x > 0 is false for -0.0 and NaN, so the gradient mask is 0 there, as in PyTorch.
  step: { wgsl: 'select(0.0, 1.0, x > 0.0)', cpu: (x) => (x > 0 ? 1 : 0) },
  pow: { wgsl: 'pow_scalar(x, p.s)', cpu: (x, e) => x ** e },
  mul_scalar: { wgsl: 'x * p.s', cpu: (x, s) => x * s },
  add_scalar: { wgsl: 'x + p.s', cpu: (x, s) => x + s },
  rsub_scalar: { wgsl: 'p.s - x', cpu: (x, s) => s - x },
  div_scalar: { wgsl: 'x / p.s', cpu: (x, s) => x / s },
  rdiv_scalar: { wgsl: 'p.s / x', cpu: (x, s) => s / x },
  // 1 / (1 + e^-x) saturates cleanly to 0 and 1 for large |x|.
  sigmoid: { wgsl: '1.0 / (1.0 + exp(-x))', cpu: (x) => 1 / (1 + Math.exp(-x)) },
  // From e^(-2|x|), which never overflows (tanh via e^(2x) gives inf / inf).
  tanh: { wgsl: 'sign(x) * (1.0 - exp(-2.0 * abs(x))) / (1.0 + exp(-2.0 * abs(x)))', cpu: Math.tanh },
  leaky_relu: { wgsl: 'select(x * p.s, x, x > 0.0)', cpu: (x, s) => (x > 0 ? x : x * s) },
  // The gradient mask of leaky_relu: 1 where x > 0, the slope elsewhere.
  leaky_relu_mask: { wgsl: 'select(p.s, 1.0, x > 0.0)', cpu: (x, s) => (x > 0 ? 1 : s) },
  // clamp's bounds; a NaN stays NaN, as in PyTorch.
  clamp_min: { wgsl: 'select(max(x, p.s), x, is_nan(x))', cpu: (x, s) => (Number.isNaN(x) ? x : Math.max(x, s)) },
  clamp_max: { wgsl: 'select(min(x, p.s), x, is_nan(x))', cpu: (x, s) => (Number.isNaN(x) ? x : Math.min(x, s)) },
  ge_scalar: { wgsl: 'select(0.0, 1.0, x >= p.s)', cpu: (x, s) => (x >= s ? 1 : 0) },
  le_scalar: { wgsl: 'select(0.0, 1.0, x <= p.s)', cpu: (x, s) => (x <= s ? 1 : 0) },
  // PyTorch's exact GELU, x Φ(x), and its derivative Φ(x) + x φ(x).
  gelu: {
    wgsl: '0.5 * x * (1.0 + erf_f32(x * 0.70710678118654752))',
    cpu: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
  },
  gelu_grad: {
    wgsl: '0.5 * (1.0 + erf_f32(x * 0.70710678118654752)) + x * 0.39894228040143268 * exp(-0.5 * x * x)',
    cpu: (x) => 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * 0.3989422804014327 * Math.exp(-0.5 * x * x),
  },
} as const satisfies Record<string, { wgsl: string; cpu: (x: number, s: number) => number }>;
export type UnaryOp = keyof typeof UNARY_OPS;

/** erf to double precision (Abramowitz-Stegun 7.1.26 is too coarse for a reference): series below 3, continued fraction above. */
function erf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const a = Math.abs(z);
  if (a > 6) return Math.sign(z);
  if (a < 3) {
    // erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
    let term = a;
    let sum = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(z) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc z = e^(-z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …)))) (Lentz from the tail).
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (a + f);
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
  return Math.sign(z) * (1 - erfc);
}

export const BINARY_OPS = {
  add: { wgsl: 'a + b', cpu: (a, b) => a + b },
  sub: { wgsl: 'a - b', cpu: (a, b) => a - b },
  mul: { wgsl: 'a * b', cpu: (a, b) => a * b },
  div: { wgsl: 'a / b', cpu: (a, b) => a / b },
  // WGSL's max/min may drop a NaN; PyTorch's maximum/minimum propagate it.
  maximum: {
    wgsl: 'select(max(a, b), a + b, is_nan(a) | is_nan(b))',
    cpu: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  },
  minimum: {
    wgsl: 'select(min(a, b), a + b, is_nan(a) | is_nan(b))',
    cpu: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  },
  eq: { wgsl: 'select(0.0, 1.0, a == b)', cpu: (a, b) => (a === b ? 1 : 0) },
  gt: { wgsl: 'select(0.0, 1.0, a > b)', cpu: (a, b) => (a > b ? 1 : 0) },
  // relu backward: a is the forward input, b the incoming gradient.
  relu_grad: { wgsl: 'select(0.0, b, a > 0.0)', cpu: (x, g) => (x > 0 ? g : 0) },
  // where's halves: b where the condition a is non-zero (else 0), and the opposite.
  keep_if: { wgsl: 'select(0.0, b, a != 0.0)', cpu: (c, b) => (c !== 0 ? b : 0) },
  keep_unless: { wgsl: 'select(b, 0.0, a != 0.0)', cpu: (c, b) => (c !== 0 ? 0 : b) },
} as const satisfies Record<string, { wgsl: string; cpu: (a: number, b: number) => number }>;
export type BinaryOp = keyof typeof BINARY_OPS;

// pow with PyTorch's sign rules for negative bases and integer exponents;
// WGSL's pow is undefined for x < 0.
const POW_SCALAR = `${SPECIAL_FLOATS}
fn pow_scalar(x: f32, e: f32) -> f32 {
  if (e == 0.0) { return 1.0; }
  if (e == 1.0) { return x; }
  if (e == 2.0) { return x * x; }
  if (e == 0.5) { return sqrt(x); }
  if (x >= 0.0) { return pow(x, e); }
  if (e == floor(e)) {
    let m = pow(-x, e);
    return select(m, -m, (i32(e) & 1) == 1);
  }
  return f32_nan();
}

// erf from the complementary error function's Chebyshev fit (Numerical
// Recipes' erfcc: relative error < 1.2e-7 everywhere); WGSL has no erf.
fn erf_f32(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * abs(z));
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(r - 1.0, 1.0 - r, z >= 0.0);
}`;

const LANES = ['x', 'y', 'z', 'w'];

/**
 * WGSL entry for the contiguous vec4 kernels: one vec4 per invocation,
 * `body` reads and writes vec4 `i`. Not several vec4s per invocation in a
 * loop: on llvmpipe that ran a 4M-element ReLU in 12.7-13.3 ms against
 * 7.1-7.8 ms (SwiftShader 25-27 against 20-21).
 */
const vec4Entry = (body: string) => elementEntry(WG, 'i', 'p.n4', body);

/**
 * Contiguous ops on sizes divisible by 4: whole vec4 loads and stores (what
 * CPU adapters vectorize best), the scalar op expression applied per lane.
 */
function unaryVec4Kernel(op: UnaryOp) {
  return defineKernel({
    name: `unary4_${op}`,
    bindings: [input('X', 'vec4<f32>'), output('Y', 'vec4<f32>')],
    params: [
      ['n4', 'u32'],
      ['s', 'f32'],
    ],
    workgroupSize: WG,
    body: `${POW_SCALAR}
fn f(x: f32) -> f32 { return ${UNARY_OPS[op].wgsl}; }
${vec4Entry(`let v = X[i];
      Y[i] = vec4<f32>(${LANES.map((l) => `f(v.${l})`).join(', ')});`)}`,
  });
}

function binaryVec4Kernel(op: BinaryOp) {
  return defineKernel({
    name: `binary4_${op}`,
    bindings: [input('A', 'vec4<f32>'), input('B', 'vec4<f32>'), output('Y', 'vec4<f32>')],
    params: [['n4', 'u32']],
    workgroupSize: WG,
    body: `${SPECIAL_FLOATS}
fn f(a: f32, b: f32) -> f32 { return ${BINARY_OPS[op].wgsl}; }
${vec4Entry(`let a = A[i];
      let b = B[i];
      Y[i] = vec4<f32>(${LANES.map((l) => `f(a.${l}, b.${l})`).join(', ')});`)}`,
  });
}

function unaryKernel(op: UnaryOp, contiguous: boolean) {
  const index = contiguous ? 'let ix = i + p.xo;' : `${unravel(['x'])}\n  ix += p.xo;`;
  return defineKernel({
    name: `unary_${op}`,
    config: { contiguous },
    bindings: [input('X'), output('Y')],
    params: [
      ['n', 'u32'],
      ['rank', 'u32'],
      ['s', 'f32'],
      ['xo', 'u32'],
      ['shape', 'vec8u'],
      ['xs', 'vec8u'],
    ],
    workgroupSize: WG,
    body: `${POW_SCALAR}
${perElement(
  WG,
  `
  ${index}
  let x = X[ix];
  Y[i] = ${UNARY_OPS[op].wgsl};`,
)}`,
  });
}

function binaryKernel(op: BinaryOp, contiguous: boolean) {
  const index = contiguous ? 'let ia = i; let ib = i;' : unravel(['a', 'b']);
  return defineKernel({
    name: `binary_${op}`,
    config: { contiguous },
    bindings: [input('A'), input('B'), output('Y')],
    params: [
      ['n', 'u32'],
      ['rank', 'u32'],
      ['shape', 'vec8u'],
      ['astr', 'vec8u'],
      ['bstr', 'vec8u'],
    ],
    workgroupSize: WG,
    body: `${SPECIAL_FLOATS}
${perElement(
  WG,
  `
  ${index}
  let a = A[ia];
  let b = B[ib];
  Y[i] = ${BINARY_OPS[op].wgsl};`,
)}`,
  });
}

/** WGSL: from the output's linear index `i`, the offsets `i<name>` into each strided input. */
function unravel(names: string[]): string {
  const stride = (n: string) => (n === 'x' ? 'xs' : `${n}str`);
  return `var rem = i;
  ${names.map((n) => `var i${n} = 0u;`).join(' ')}
  for (var d = p.rank; d > 0u; d--) {
    let size = ${at('shape', 'd - 1u')};
    let c = rem % size;
    rem = rem / size;
    ${names.map((n) => `i${n} += c * ${at(stride(n), 'd - 1u')};`).join('\n    ')}
  }`;
}

function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expect) return false;
    expect *= shape[d]!;
  }
  return true;
}

/**
 * y = op(x) elementwise. `x` is read with `xStrides` (element strides; 0
 * broadcasts) from element `xOffset` on, so this also materializes permutes,
 * expands and slices (op 'copy'). `y` is contiguous with `shape`.
 */
export function unary(
  ctx: GpuContext,
  op: UnaryOp,
  x: BufferBinding,
  y: BufferBinding,
  shape: readonly number[],
  xStrides: readonly number[],
  scalar = 0,
  xOffset = 0,
): void {
  const n = numel(shape);
  if (n === 0) return;
  const r = rankParams(`unary ${op}`, shape);
  const contiguous = isContiguous(shape, xStrides);
  if (contiguous && n % 4 === 0 && xOffset === 0) {
    ctx.dispatch(unaryVec4Kernel(op), [x, y], { n4: n / 4, s: scalar }, Math.ceil(n / 4 / WG), `${op} [${shape}]`);
    return;
  }
  const kernel = unaryKernel(op, contiguous);
  ctx.dispatch(
    kernel,
    [x, y],
    { n, rank: r.rank, s: scalar, xo: xOffset, shape: r.shape, xs: [...xStrides] },
    Math.ceil(n / WG),
    `${op} [${shape}]`,
  );
}

/** y = op(a, b) elementwise with broadcasting expressed as strides (0 on broadcast dimensions). */
export function binary(
  ctx: GpuContext,
  op: BinaryOp,
  a: BufferBinding,
  aStrides: readonly number[],
  b: BufferBinding,
  bStrides: readonly number[],
  y: BufferBinding,
  shape: readonly number[],
): void {
  const n = numel(shape);
  if (n === 0) return;
  const r = rankParams(`binary ${op}`, shape);
  const contiguous = isContiguous(shape, aStrides) && isContiguous(shape, bStrides);
  if (contiguous && n % 4 === 0) {
    ctx.dispatch(binaryVec4Kernel(op), [a, b, y], { n4: n / 4 }, Math.ceil(n / 4 / WG), `${op} [${shape}]`);
    return;
  }
  const kernel = binaryKernel(op, contiguous);
  ctx.dispatch(
    kernel,
    [a, b, y],
    { n, rank: r.rank, shape: r.shape, astr: [...aStrides], bstr: [...bStrides] },
    Math.ceil(n / WG),
    `${op} [${shape}]`,
  );
}

const fillKernel = () =>
  defineKernel({
    name: 'fill',
    bindings: [output('Y')],
    params: [
      ['n', 'u32'],
      ['bits', 'u32'],
    ],
    workgroupSize: WG,
    body: `
${perElement(
  WG,
  `
  Y[i] = bitcast<f32>(p.bits);`,
)}`,
  });

/**
 * Fills `n` 32-bit elements with the bit pattern `bits` (a float's or an
 * int's: the kernel copies bits, so it serves every 32-bit dtype).
 */
export function fill(ctx: GpuContext, y: BufferBinding, n: number, bits: number): void {
  if (n === 0) return;
  ctx.dispatch(fillKernel(), [y], { n, bits: bits >>> 0 }, Math.ceil(n / WG), `fill [${n}]`);
}

/** The bit pattern of a float32, for `fill`. */
export function f32Bits(v: number): number {
  return new Uint32Array(new Float32Array([v]).buffer)[0]!;
}

const castKernel = (dir: 'i32_to_f32' | 'f32_to_i32') =>
  defineKernel({
    name: `cast_${dir}`,
    bindings: [
      { name: 'X', type: dir === 'i32_to_f32' ? 'i32' : 'f32', access: 'read' },
      { name: 'Y', type: dir === 'i32_to_f32' ? 'f32' : 'i32', access: 'read_write' },
    ],
    params: [['n', 'u32']],
    workgroupSize: WG,
    body: `
${perElement(
  WG,
  `
  Y[i] = ${dir === 'i32_to_f32' ? 'f32(X[i])' : 'i32(X[i])'};`,
)}`,
  });

/** Elementwise int32 <-> float32 conversion (float to int truncates). */
export function cast(
  ctx: GpuContext,
  x: BufferBinding,
  y: BufferBinding,
  n: number,
  dir: 'i32_to_f32' | 'f32_to_i32',
): void {
  if (n === 0) return;
  ctx.dispatch(castKernel(dir), [x, y], { n }, Math.ceil(n / WG), `cast ${dir} [${n}]`);
}

const addInt32Kernel = () =>
  defineKernel({
    name: 'add_i32_in_place',
    bindings: [{ name: 'X', type: 'i32', access: 'read_write' }],
    params: [
      ['n', 'u32'],
      ['k', 'i32'],
    ],
    workgroupSize: WG,
    body: perElement(WG, 'X[i] = X[i] + p.k;'),
  });

/**
 * x += k in place on an int32 buffer, in one dispatch: counters such as
 * BatchNorm's num_batches_tracked (a round trip through float32 took four,
 * and was exact only up to 2^24).
 */
export function addInt32InPlace(ctx: GpuContext, x: BufferBinding, n: number, k: number): void {
  if (!Number.isInteger(k) || Math.abs(k) > 2 ** 31 - 1)
    throw new Error(`addInt32InPlace: k must be an int32, got ${k}`);
  if (n === 0) return;
  ctx.dispatch(addInt32Kernel(), [x], { n, k }, Math.ceil(n / WG), `add_i32 [${n}]`);
}
