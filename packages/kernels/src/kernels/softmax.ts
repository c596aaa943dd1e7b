import type { BufferBinding, GpuContext } from '../context.js';
import { defineKernel, elementEntry, input, output, SPECIAL_FLOATS } from '../kernel.js';

const WG = 64;

/**
 * WGSL: the max and the sum of exp(x - max) of row elements X[off..off+cols),
 * the numerically stable core of softmax and cross-entropy (every kernel that
 * includes it names its input binding X).
 */
const ROW_STATS = `
fn row_stats(off: u32, cols: u32) -> vec2<f32> {
  var mx = -f32_inf();
  for (var j = 0u; j < cols; j++) { mx = max(mx, X[off + j]); }
  var sum = 0.0;
  for (var j = 0u; j < cols; j++) { sum += exp(X[off + j] - mx); }
  return vec2<f32>(mx, sum);
}`;

/**
 * The body of a kernel with one invocation per row of a [p.rows, p.cols]
 * input X: `body` runs with the row's offset `off`, its max `mx` and `sum`
 * (of exp(x - mx)) in scope. Subtracting the row max keeps exp() in range
 * for any logits.
 */
export const rowStatsEntry = (wg: number, body: string): string => `${SPECIAL_FLOATS}${ROW_STATS}
${elementEntry(
  wg,
  'r',
  'p.rows',
  `
  let off = r * p.cols;
  let st = row_stats(off, p.cols);
  let mx = st.x;
  let sum = st.y;
  ${body.trim()}`,
)}`;

const softmaxKernel = (log: boolean) =>
  defineKernel({
    name: log ? 'log_softmax_rows' : 'softmax_rows',
    bindings: [input('X'), output('Y')],
    params: [
      ['rows', 'u32'],
      ['cols', 'u32'],
    ],
    workgroupSize: WG,
    body: rowStatsEntry(
      WG,
      log
        ? // (x - max) - log(sum), not x - (max + log(sum)): for large x the
          // latter rounds max + log(sum) to x's magnitude and loses log(sum)'s digits.
          'let ls = log(sum);\n  for (var j = 0u; j < p.cols; j++) { Y[off + j] = (X[off + j] - mx) - ls; }'
        : 'let inv = 1.0 / sum;\n  for (var j = 0u; j < p.cols; j++) { Y[off + j] = exp(X[off + j] - mx) * inv; }',
    ),
  });

/** Softmax (or log-softmax) over the last dimension of a contiguous [rows, cols] tensor. */
export function softmax(
  ctx: GpuContext,
  x: BufferBinding,
  y: BufferBinding,
  rows: number,
  cols: number,
  log: boolean,
): void {
  if (rows === 0 || cols === 0) return;
  ctx.dispatch(
    softmaxKernel(log),
    [x, y],
    { rows, cols },
    Math.ceil(rows / WG),
    `${log ? 'logSoftmax' : 'softmax'} [${rows}, ${cols}]`,
  );
}
