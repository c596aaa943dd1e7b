import type { BufferBinding, GpuContext } from '../context.js';
import { allOf, defineKernel, ENTRY_BUILTINS, input, output } from '../kernel.js';

/**
 * The input gradient of a strided convolution is the stride-1 input
 * gradient of the output gradient with stride - 1 zeros between its
 * elements: dx[iy] = Σ_ky dy[(iy + p - ky) / s] w[ky] over the taps where
 * s divides iy + p - ky, and those are exactly the nonzero elements of the
 * dilated gradient. So the fast stride-1 kernels (rows, Winograd) serve
 * strided layers too, at s² times the multiply-adds of the direct strided
 * kernel but many times its speed on every adapter measured (the direct
 * kernel's per-tap stride tests do not vectorize).
 */
export interface DilateShape {
  /** n · channels planes of oh x ow, spread to dh x dw with strides sh, sw. */
  planes: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
}

const WG = 64;

/**
 * One invocation per element of G, writing its sh x sw block of D (the
 * element in the block's corner, zeros elsewhere, clipped at dh x dw: since
 * dh <= oh·sh the blocks cover D). The grid is (columns, rows of all
 * planes), so the row's plane and index come from one division per
 * workgroup, not per element.
 */
const dilateKernel = () =>
  defineKernel({
    name: 'conv2d_dilate',
    bindings: [input('G'), output('D')],
    params: [
      ['rows', 'u32'],
      ['oh', 'u32'],
      ['ow', 'u32'],
      ['sh', 'u32'],
      ['sw', 'u32'],
      ['dh', 'u32'],
      ['dw', 'u32'],
    ],
    workgroupSize: WG,
    body: `@compute @workgroup_size(${WG})
fn main(${ENTRY_BUILTINS}) {
  let row = wid.z * nwg.y + wid.y;
  let ox = wid.x * ${WG}u + lid;
  if (row >= p.rows || ox >= p.ow) { return; }
  let plane = row / p.oh;
  let oy = row % p.oh;
  let v = G[row * p.ow + ox];
  for (var a = 0u; a < p.sh; a++) {
    let y = oy * p.sh + a;
    if (y >= p.dh) { break; }
    let base = (plane * p.dh + y) * p.dw + ox * p.sw;
    for (var b = 0u; b < p.sw; b++) {
      if (ox * p.sw + b >= p.dw) { break; }
      D[base + b] = select(0.0, v, ${allOf('a == 0u', 'b == 0u')});
    }
  }
}`,
  });

/** D (planes x dh x dw) = G (planes x oh x ow) spread with strides sh, sw, zeros elsewhere. */
export function dilate(ctx: GpuContext, g: BufferBinding, d: BufferBinding, s: DilateShape): void {
  const rows = s.planes * s.oh;
  if (rows === 0 || s.ow === 0) return;
  if ((s.oh - 1) * s.sh >= s.dh || (s.ow - 1) * s.sw >= s.dw || s.dh > s.oh * s.sh || s.dw > s.ow * s.sw) {
    throw new Error(`dilate: ${s.oh}x${s.ow} with strides ${s.sh}x${s.sw} does not tile ${s.dh}x${s.dw}`);
  }
  const z = Math.ceil(rows / 65535);
  ctx.dispatch(
    dilateKernel(),
    [g, d],
    { ...s, rows },
    [Math.ceil(s.ow / WG), Math.ceil(rows / z), z],
    `conv2d dilate [${s.planes}, ${s.oh}x${s.ow}] s${s.sh}x${s.sw} -> ${s.dh}x${s.dw}`,
  );
}
