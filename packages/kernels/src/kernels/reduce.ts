import type { BufferBinding, GpuContext } from '../context.js';
import { defineKernel, elementEntry, input, output, SPECIAL_FLOATS } from '../kernel.js';
import { at, numel, rankParams } from './strided.js';

const WG = 64;

export type ReduceOp = 'sum' | 'max';

/** One invocation per output element o < p.n, with the NaN helpers. */
const perOutput = (body: string) => `${SPECIAL_FLOATS}\n${elementEntry(WG, 'o', 'p.n', body)}`;

const INIT: Record<ReduceOp, string> = { sum: '0.0', max: '-f32_inf()' };
const STEP: Record<ReduceOp, string> = { sum: 'acc = acc + v;', max: 'acc = max(acc, v); nan = nan || is_nan(v);' };

const reduceKernel = (op: ReduceOp) =>
  defineKernel({
    name: `reduce_${op}`,
    bindings: [input('X'), output('Y')],
    params: [
      ['n', 'u32'],
      ['krank', 'u32'],
      ['rrank', 'u32'],
      ['rcount', 'u32'],
      ['kshape', 'vec8u'],
      ['kstrides', 'vec8u'],
      ['rshape', 'vec8u'],
      ['rstrides', 'vec8u'],
    ],
    workgroupSize: WG,
    body: perOutput(`
  var rem = o;
  var base = 0u;
  for (var d = p.krank; d > 0u; d--) {
    let size = ${at('kshape', 'd - 1u')};
    base += (rem % size) * ${at('kstrides', 'd - 1u')};
    rem = rem / size;
  }
  var acc = ${INIT[op]};
  var nan = false;
  // The innermost reduced dimension advances by a constant stride; only
  // the outer ones need the div/mod walk.
  let inner = select(1u, ${at('rshape', 'p.rrank - 1u')}, p.rrank > 0u);
  let innerStride = select(0u, ${at('rstrides', 'p.rrank - 1u')}, p.rrank > 0u);
  for (var r = 0u; r < p.rcount; r += inner) {
    var rrem = r / inner;
    var off = base;
    for (var d = p.rrank - 1u; d > 0u; d--) {
      let size = ${at('rshape', 'd - 1u')};
      off += (rrem % size) * ${at('rstrides', 'd - 1u')};
      rrem = rrem / size;
    }
    for (var j = 0u; j < inner; j++) {
      let v = X[off + j * innerStride];
      ${STEP[op]}
    }
  }
  ${op === 'max' ? 'if (nan) { acc = f32_nan(); }' : ''}
  Y[o] = acc;`),
  });

/** Below this many outputs a reduction over leading and trailing axes runs in two passes. */
const SPLIT_BELOW = 1024;

/** The reduced axes that end the shape, consecutively (for [n, c, h, w] over (0, 2, 3): 2, 3). */
function trailingAxes(rank: number, axes: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = axes.length - 1, d = rank - 1; i >= 0 && axes[i] === d; i--, d--) out.unshift(d);
  return out;
}

/**
 * Reduces a contiguous tensor of `shape` over `axes` (sorted, unique). The
 * output is contiguous over the kept dimensions in order. max propagates NaN
 * like PyTorch.
 */
export function reduce(
  ctx: GpuContext,
  op: ReduceOp,
  x: BufferBinding,
  y: BufferBinding,
  shape: readonly number[],
  axes: readonly number[],
): void {
  rankParams(`${op}`, shape);
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const kshape = kept.map((d) => shape[d]!);
  const rshape = axes.map((d) => shape[d]!);
  const n = numel(kshape);
  const rcount = numel(rshape);
  if (n === 0) return;
  if (op === 'max' && rcount === 0) throw new Error(`max: cannot reduce over an empty dimension of [${shape}]`);
  const inner = trailingAxes(shape.length, axes);
  const partial = shape.slice(0, shape.length - inner.length);
  if (n < SPLIT_BELOW && inner.length > 0 && inner.length < axes.length && numel(partial) >= 4 * n) {
    // Few outputs over a long reduction (a bias gradient: [n, c, h, w] over (0, 2, 3) has c of them)
    // would run on a handful of invocations, one core: the trailing axes first, then the rest.
    const mid = ctx.alloc(numel(partial) * 4, `${op} over the trailing axes`);
    reduce(ctx, op, x, mid, shape, inner);
    reduce(ctx, op, mid, y, partial, axes.slice(0, axes.length - inner.length));
    ctx.free(mid);
    return;
  }
  ctx.dispatch(
    reduceKernel(op),
    [x, y],
    {
      n,
      krank: kept.length,
      rrank: axes.length,
      rcount,
      kshape,
      kstrides: kept.map((d) => strides[d]!),
      rshape,
      rstrides: axes.map((d) => strides[d]!),
    },
    Math.ceil(n / WG),
    `${op} [${shape}] over (${axes})`,
  );
}

/** argmax / argmin along one axis. */
export type ArgReduceOp = 'argmax' | 'argmin';

/**
 * The index of the largest (smallest) value along one axis, PyTorch's
 * rules: the first one on ties, and the first NaN if there is one.
 */
const argReduceKernel = (op: ArgReduceOp) =>
  defineKernel({
    name: `reduce_${op}`,
    bindings: [input('X'), output('Y', 'i32')],
    params: [
      ['n', 'u32'],
      ['size', 'u32'],
      ['inner', 'u32'],
    ],
    workgroupSize: WG,
    body: perOutput(`
  let base = (o / p.inner) * p.size * p.inner + o % p.inner;
  var best = X[base];
  var arg = 0u;
  var nan = is_nan(best);
  for (var r = 1u; r < p.size; r++) {
    let v = X[base + r * p.inner];
    if ((!nan) & (is_nan(v) | (v ${op === 'argmax' ? '>' : '<'} best))) {
      best = v;
      arg = r;
      nan = is_nan(v);
    }
  }
  Y[o] = i32(arg);`),
  });

/** argmax / argmin of a contiguous tensor of `shape` along `axis` into int32 `y` (the other dimensions, in order). */
export function argReduce(
  ctx: GpuContext,
  op: ArgReduceOp,
  x: BufferBinding,
  y: BufferBinding,
  shape: readonly number[],
  axis: number,
): void {
  const size = shape[axis]!;
  if (size === 0) throw new Error(`${op}: cannot reduce over an empty dimension of [${shape}]`);
  const inner = numel(shape.slice(axis + 1));
  const n = numel(shape) / size;
  if (n === 0) return;
  ctx.dispatch(argReduceKernel(op), [x, y], { n, size, inner }, Math.ceil(n / WG), `${op} [${shape}] along ${axis}`);
}
