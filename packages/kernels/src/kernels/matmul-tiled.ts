import type { BufferBinding, GpuContext } from '../context.js';
import { input, output } from '../kernel.js';
import type { MatmulShape } from './matmul.js';
import { type TiledGemmConfig, tiledGemmKernel, tiledGrid } from './tiled-gemm.js';

/**
 * Dense (batched) matmul on the workgroup-memory tiled template, the
 * GPU-shaped variant: any shape, the transposes fixed at generation time
 * so the index arithmetic folds, one batch matrix per grid z.
 */
const kernel = (c: TiledGemmConfig, transA: boolean, transB: boolean) =>
  tiledGemmKernel({
    name: 'matmul_tiled',
    config: c,
    variant: { transA, transB },
    splitK: false,
    bindings: [input('A'), input('B'), input('Bias'), output('C')],
    params: [
      ['abs', 'u32'],
      ['bbs', 'u32'],
      ['hasBias', 'u32'],
    ],
    functions: `
fn loadA(z: u32, row: u32, k: u32) -> f32 { return A[z * p.abs + ${transA ? 'k * p.gm + row' : 'row * p.gk + k'}]; }
fn loadB(z: u32, k: u32, col: u32) -> f32 { return B[z * p.bbs + ${transB ? 'col * p.gk + k' : 'k * p.gn + col'}]; }
fn storeC(z: u32, row: u32, col: u32, v: f32) {
  C[(z * p.gm + row) * p.gn + col] = v + select(0.0, Bias[col], p.hasBias != 0u);
}`,
  });

export function matmulTiled(
  ctx: GpuContext,
  a: BufferBinding,
  b: BufferBinding,
  c: BufferBinding,
  s: MatmulShape,
  bias: BufferBinding | null,
  config: TiledGemmConfig,
  label: string,
): void {
  ctx.dispatch(
    kernel(config, s.transA, s.transB),
    // Without a bias, A stands in for the unused binding (never read).
    [a, b, bias ?? a, c],
    {
      gm: s.m,
      gn: s.n,
      gk: s.k,
      kChunk: Math.max(1, s.k),
      abs: s.aBatchStride,
      bbs: s.bBatchStride,
      hasBias: bias ? 1 : 0,
    },
    tiledGrid(config, s.m, s.n, s.batch),
    label,
  );
}
