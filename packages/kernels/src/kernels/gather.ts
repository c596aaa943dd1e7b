import type { BufferBinding, GpuContext } from '../context.js';
import { defineKernel, elementEntry, input, type Kernel } from '../kernel.js';

/**
 * torch.gather along one axis, and its gradient. Shapes are seen as
 * [outer, size, inner] for the source and [outer, count, inner] for the
 * index and the output: out[a, j, b] = x[a, index[a, j, b], b].
 *
 * The gradient sums, for every source element, the output gradients whose
 * index points at it: one invocation per source element loops over the
 * `count` candidates (deterministic, no atomics; indexSelect's `count` is
 * the number of indices, small in practice).
 */
export interface GatherShape {
  outer: number;
  /** The source's length along the axis. */
  size: number;
  /** The index's (and output's) length along the axis. */
  count: number;
  inner: number;
  /** index_select: the index is one list [count] shared by every (outer, inner). */
  shared?: boolean;
}

const WG = 64;
const PARAMS = [
  ['n', 'u32'],
  ['size', 'u32'],
  ['count', 'u32'],
  ['inner', 'u32'],
  ['sharedIndex', 'u32'],
] as const;

/** WGSL: the index of output element o (row j of its [outer, count, inner] position). */
const INDEX_AT = `fn index_at(o: u32) -> i32 {
  return Idx[select(o, (o / p.inner) % p.count, p.sharedIndex != 0u)];
}`;

/**
 * A gather-family kernel: reads `from` through the index, writes `to`; one
 * invocation per element of `to` (named `lane`). The forward pass only
 * moves 32-bit words, so it reads and writes them as u32: bit-exact for
 * float32 and int32 tensors alike (a float copy may canonicalize the NaN
 * patterns that many integers are).
 */
const gatherFamily = (
  name: string,
  from: string,
  to: string,
  lane: string,
  body: string,
  word: 'f32' | 'u32' = 'f32',
) =>
  defineKernel({
    name,
    bindings: [
      { name: from, type: word, access: 'read' },
      input('Idx', 'i32'),
      { name: to, type: word, access: 'read_write' },
    ],
    params: PARAMS,
    workgroupSize: WG,
    body: `${INDEX_AT}
${elementEntry(WG, lane, 'p.n', body)}`,
  });

const gatherKernel = () =>
  gatherFamily(
    'gather',
    'X',
    'Y',
    'o',
    `
  let b = o % p.inner;
  let a = o / (p.count * p.inner);
  // Indices were checked on upload; clamping keeps any other value in bounds.
  let k = u32(clamp(index_at(o), 0, i32(p.size) - 1));
  Y[o] = X[(a * p.size + k) * p.inner + b];`,
    'u32',
  );

const gatherBackwardKernel = () =>
  gatherFamily(
    'gather_backward',
    'G',
    'DX',
    'e',
    `
  let b = e % p.inner;
  let k = i32((e / p.inner) % p.size);
  let a = e / (p.size * p.inner);
  var acc = 0.0;
  for (var j = 0u; j < p.count; j++) {
    let o = (a * p.count + j) * p.inner + b;
    if (index_at(o) == k) { acc += G[o]; }
  }
  DX[e] = acc;`,
  );

/** Runs one of the two kernels, one invocation per element of what it writes (n of them). */
function dispatchGather(
  ctx: GpuContext,
  kernel: Kernel,
  buffers: BufferBinding[],
  n: number,
  s: GatherShape,
  label: string,
): void {
  if (n === 0) return;
  const params = { n, size: s.size, count: s.count, inner: s.inner, sharedIndex: s.shared ? 1 : 0 };
  ctx.dispatch(kernel, buffers, params, Math.ceil(n / WG), label);
}

/** y[outer, count, inner] = x[outer, idx, inner]. */
export function gather(ctx: GpuContext, x: BufferBinding, idx: BufferBinding, y: BufferBinding, s: GatherShape): void {
  const label = `gather [${s.outer},${s.size},${s.inner}] by [${s.count}]`;
  dispatchGather(ctx, gatherKernel(), [x, idx, y], s.outer * s.count * s.inner, s, label);
}

/** dx[outer, size, inner] = Σ over j with idx[a, j, b] = k of g[a, j, b]. */
export function gatherBackward(
  ctx: GpuContext,
  g: BufferBinding,
  idx: BufferBinding,
  dx: BufferBinding,
  s: GatherShape,
): void {
  const label = `gather backward [${s.outer},${s.size},${s.inner}]`;
  dispatchGather(ctx, gatherBackwardKernel(), [g, idx, dx], s.outer * s.size * s.inner, s, label);
}
