import type { BufferBinding, GpuContext } from '../context.js';
import { defineKernel, input, output } from '../kernel.js';
import { rowStatsEntry } from './softmax.js';

const WG = 64;

/**
 * Softmax cross-entropy, fused and stable: per row, loss = w[y] * (lse(x) - x[y])
 * with lse computed around the row max. Writes [rows, 2]: the weighted loss
 * and the weight, so a mean over rows is sum(loss) / sum(weight) (PyTorch's
 * weighted mean).
 */
const forwardKernel = () =>
  defineKernel({
    name: 'cross_entropy_forward',
    bindings: [input('X'), input('Labels', 'i32'), input('Weight'), output('Out')],
    params: [
      ['rows', 'u32'],
      ['cols', 'u32'],
      ['hasWeight', 'u32'],
    ],
    workgroupSize: WG,
    body: rowStatsEntry(
      WG,
      `
  let label = Labels[r];
  // An out-of-range label gives NaN, never a read outside the row.
  let ok = label >= 0 && u32(label) < p.cols;
  let y = u32(clamp(label, 0, i32(p.cols) - 1));
  let w = select(1.0, Weight[y], p.hasWeight != 0u);
  let loss = mx + log(sum) - X[off + y];
  Out[2u * r] = select(f32_nan(), w * loss, ok);
  Out[2u * r + 1u] = w;`,
    ),
  });

/** dx[r, j] = scale * w[y_r] * (softmax(x_r)_j - [j == y_r]); `Scale` holds one float (upstream grad / normalizer). */
const backwardKernel = () =>
  defineKernel({
    name: 'cross_entropy_backward',
    bindings: [input('X'), input('Labels', 'i32'), input('Weight'), input('Scale'), output('DX')],
    params: [
      ['rows', 'u32'],
      ['cols', 'u32'],
      ['hasWeight', 'u32'],
      ['perRowScale', 'u32'],
    ],
    workgroupSize: WG,
    body: rowStatsEntry(
      WG,
      `
  let y = u32(clamp(Labels[r], 0, i32(p.cols) - 1));
  let w = select(1.0, Weight[y], p.hasWeight != 0u);
  let s = Scale[select(0u, r, p.perRowScale != 0u)] * w / sum;
  for (var j = 0u; j < p.cols; j++) {
    let e = exp(X[off + j] - mx) * s;
    DX[off + j] = select(e, e - Scale[select(0u, r, p.perRowScale != 0u)] * w, j == y);
  }`,
    ),
  });

/** Per-row weighted losses and weights, [rows, 2]. `weight` may be null (all ones). */
export function crossEntropyForward(
  ctx: GpuContext,
  x: BufferBinding,
  labels: BufferBinding,
  weight: BufferBinding | null,
  out: BufferBinding,
  rows: number,
  cols: number,
): void {
  if (rows === 0) return;
  ctx.dispatch(
    forwardKernel(),
    [x, labels, weight ?? x, out],
    { rows, cols, hasWeight: weight ? 1 : 0 },
    Math.ceil(rows / WG),
    `crossEntropy [${rows}, ${cols}]`,
  );
}

/**
 * Gradient of the logits. `scale` holds either one float applied to every row
 * (mean / sum reductions: upstream / normalizer) or one per row (reduction none).
 */
export function crossEntropyBackward(
  ctx: GpuContext,
  x: BufferBinding,
  labels: BufferBinding,
  weight: BufferBinding | null,
  scale: BufferBinding,
  dx: BufferBinding,
  rows: number,
  cols: number,
  perRowScale: boolean,
): void {
  if (rows === 0) return;
  ctx.dispatch(
    backwardKernel(),
    [x, labels, weight ?? x, scale, dx],
    { rows, cols, hasWeight: weight ? 1 : 0, perRowScale: perRowScale ? 1 : 0 },
    Math.ceil(rows / WG),
    `crossEntropy backward [${rows}, ${cols}]`,
  );
}
