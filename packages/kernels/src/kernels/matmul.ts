import type { BufferBinding, GpuContext } from '../context.js';
import { defineKernel, ENTRY_BUILTINS, LINEAR_WORKGROUP } from '../kernel.js';

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

// A register tile of TM x TN outputs per invocation and an 8x8 grid of
// invocations per workgroup: no workgroup memory, no barriers.
const TM = 4;
const TN = 4;
const WGX = 8;
const WGY = 8;
const BM = TM * WGY;
const BN = TN * WGX;

const matmulKernel = () => {
  const acc: string[] = [];
  const fma: string[] = [];
  const store: string[] = [];
  for (let i = 0; i < TM; i++) {
    for (let j = 0; j < TN; j++) {
      acc.push(`var c${i}${j} = 0.0;`);
      fma.push(`c${i}${j} = fma(a${i}, b${j}, c${i}${j});`);
      store.push(
        `if (row0 + ${i}u < p.m && col0 + ${j}u < p.n) { C[cOff + (row0 + ${i}u) * p.n + col0 + ${j}u] = c${i}${j}; }`,
      );
    }
  }
  const loadA = Array.from({ length: TM }, (_, i) => `let a${i} = select(0.0, A[aOff + min(row0 + ${i}u, p.m - 1u) * p.ars + k * p.acs], row0 + ${i}u < p.m);`);
  const loadB = Array.from({ length: TN }, (_, j) => `let b${j} = select(0.0, B[bOff + k * p.brs + min(col0 + ${j}u, p.n - 1u) * p.bcs], col0 + ${j}u < p.n);`);
  return defineKernel({
    name: 'matmul_regtile',
    config: { TM, TN, WGX, WGY },
    bindings: [
      { name: 'A', type: 'f32', access: 'read' },
      { name: 'B', type: 'f32', access: 'read' },
      { name: 'C', type: 'f32', access: 'read_write' },
    ],
    params: [
      ['batch', 'u32'],
      ['m', 'u32'],
      ['n', 'u32'],
      ['k', 'u32'],
      ['ars', 'u32'],
      ['acs', 'u32'],
      ['brs', 'u32'],
      ['bcs', 'u32'],
      ['abs', 'u32'],
      ['bbs', 'u32'],
      ['tilesM', 'u32'],
      ['tilesN', 'u32'],
    ],
    workgroupSize: WGX * WGY,
    body: `
@compute @workgroup_size(${WGX * WGY})
fn main(${ENTRY_BUILTINS}) {
  ${LINEAR_WORKGROUP}
  let tiles = p.tilesM * p.tilesN;
  let b = wg_linear / tiles;
  if (b >= p.batch) { return; }
  let t = wg_linear % tiles;
  let row0 = (t / p.tilesN) * ${BM}u + (lid / ${WGX}u) * ${TM}u;
  let col0 = (t % p.tilesN) * ${BN}u + (lid % ${WGX}u) * ${TN}u;
  let aOff = b * p.abs;
  let bOff = b * p.bbs;
  let cOff = b * p.m * p.n;
  ${acc.join('\n  ')}
  for (var k = 0u; k < p.k; k++) {
    ${loadA.join('\n    ')}
    ${loadB.join('\n    ')}
    ${fma.join('\n    ')}
  }
  ${store.join('\n  ')}
}`,
  });
};

/** C[b] = op(A[b]) · op(B[b]); C is contiguous [batch, m, n]. */
export function matmul(ctx: GpuContext, a: BufferBinding, b: BufferBinding, c: BufferBinding, s: MatmulShape): void {
  if (s.batch === 0 || s.m === 0 || s.n === 0) return;
  const tilesM = Math.ceil(s.m / BM);
  const tilesN = Math.ceil(s.n / BN);
  ctx.dispatch(
    matmulKernel(),
    [a, b, c],
    {
      batch: s.batch,
      m: s.m,
      n: s.n,
      k: s.k,
      // Row and column strides of the logical A [m, k] and B [k, n].
      ars: s.transA ? 1 : s.k,
      acs: s.transA ? s.m : 1,
      brs: s.transB ? 1 : s.n,
      bcs: s.transB ? s.k : 1,
      abs: s.aBatchStride,
      bbs: s.bBatchStride,
      tilesM,
      tilesN,
    },
    s.batch * tilesM * tilesN,
    `matmul [${s.batch}x${s.m}x${s.k}]${s.transA ? 'ᵀ' : ''} · [${s.k}x${s.n}]${s.transB ? 'ᵀ' : ''}`,
  );
}
