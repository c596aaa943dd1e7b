/**
 * Plain-TypeScript references for the network kernels (matmul,
 * convolution, pooling, batch normalization, cross-entropy, optimizer updates): direct loops
 * over the definitions, in float64 accumulators rounded to float32 on
 * store. The kernels' tests check against them, and the tensor package's
 * cpu backend runs them.
 */
import { type Conv2dShape, convOutSize } from './kernels/conv2d.js';
import type { MatmulShape } from './kernels/matmul.js';
import type { AdamOptions, SgdOptions } from './kernels/optimizer.js';
import { type Pool2dShape, poolOutSize } from './kernels/pool.js';
import type { Window2d } from './kernels/window.js';
import type { BatchNormShape } from './kernels/batchnorm.js';

type TypedArray = Float32Array | Int32Array;

/** op(A)·op(B) (+ bias on every row), per batch. */
export function matmul(a: TypedArray, b: TypedArray, s: MatmulShape, bias: TypedArray | null = null): Float32Array {
  const out = new Float32Array(s.batch * s.m * s.n);
  for (let bt = 0; bt < s.batch; bt++) {
    const ao = bt * s.aBatchStride;
    const bo = bt * s.bBatchStride;
    for (let i = 0; i < s.m; i++) {
      for (let j = 0; j < s.n; j++) {
        let acc = 0;
        for (let k = 0; k < s.k; k++) {
          const av = a[ao + (s.transA ? k * s.m + i : i * s.k + k)]!;
          const bv = b[bo + (s.transB ? j * s.k + k : k * s.n + j)]!;
          acc += av * bv;
        }
        out[(bt * s.m + i) * s.n + j] = acc + (bias ? bias[j]! : 0);
      }
    }
  }
  return out;
}

/**
 * Calls fn(iy, ix, ky, kx) for every tap of the window at output (oy, ox)
 * that lands inside the input (padding taps are skipped): the one
 * definition of a window the convolution and pooling references share.
 */
function forEachWindowTap(
  s: Window2d,
  oy: number,
  ox: number,
  fn: (iy: number, ix: number, ky: number, kx: number) => void,
): void {
  for (let ky = 0; ky < s.kh; ky++) {
    const iy = oy * s.sh - s.ph + ky;
    if (iy < 0 || iy >= s.h) continue;
    for (let kx = 0; kx < s.kw; kx++) {
      const ix = ox * s.sw - s.pw + kx;
      if (ix >= 0 && ix < s.w) fn(iy, ix, ky, kx);
    }
  }
}

/** The outputs along one axis whose input index o·stride - pad + k lies in [0, size): [first, end). */
function tapRange(out: number, size: number, stride: number, pad: number, k: number): [number, number] {
  return [Math.max(0, Math.ceil((pad - k) / stride)), Math.min(out, Math.floor((size - 1 + pad - k) / stride) + 1)];
}

/**
 * A block of products a convolution makes with one weight element `wi`:
 * for r < rows, j < cols, output yi + r·yRow + j multiplies input
 * xi + r·xRow + j·xStep.
 */
type TapBlock = (
  xi: number,
  wi: number,
  yi: number,
  rows: number,
  cols: number,
  xRow: number,
  yRow: number,
  xStep: number,
) => void;

/**
 * Calls fn for every weight element and image: the one definition of which
 * products a convolution makes, shared by the forward and both gradients.
 * A block per call instead of a call per product keeps the cpu backend's
 * inner loops tight (about 30x faster); each output still sums its
 * products in the order (ci, ky, kx), and each weight gradient in
 * (n, oy, ox).
 */
function forEachTapBlock(s: Conv2dShape, fn: TapBlock): void {
  const { oh, ow } = convOutSize(s);
  const rowRange = Array.from({ length: s.kh }, (_, ky) => tapRange(oh, s.h, s.sh, s.ph, ky));
  const colRange = Array.from({ length: s.kw }, (_, kx) => tapRange(ow, s.w, s.sw, s.pw, kx));
  for (let n = 0; n < s.n; n++)
    for (let co = 0; co < s.co; co++)
      for (let ci = 0; ci < s.ci; ci++)
        for (let ky = 0; ky < s.kh; ky++) {
          const [r0, r1] = rowRange[ky]!;
          if (r0 >= r1) continue;
          const iy = r0 * s.sh - s.ph + ky;
          for (let kx = 0; kx < s.kw; kx++) {
            const [c0, c1] = colRange[kx]!;
            if (c0 >= c1) continue;
            const ix = c0 * s.sw - s.pw + kx;
            fn(
              ((n * s.ci + ci) * s.h + iy) * s.w + ix,
              ((co * s.ci + ci) * s.kh + ky) * s.kw + kx,
              ((n * s.co + co) * oh + r0) * ow + c0,
              r1 - r0,
              c1 - c0,
              s.sh * s.w,
              ow,
              s.sw,
            );
          }
        }
}

export function conv2d(x: TypedArray, w: TypedArray, bias: TypedArray | null, s: Conv2dShape): Float32Array {
  const { oh, ow } = convOutSize(s);
  const y = new Float64Array(s.n * s.co * oh * ow);
  forEachTapBlock(s, (xi, wi, yi, rows, cols, xRow, yRow, step) => {
    const wv = w[wi]!;
    for (let r = 0; r < rows; r++)
      for (let j = 0, xr = xi + r * xRow, yr = yi + r * yRow; j < cols; j++) y[yr + j]! += x[xr + j * step]! * wv;
  });
  const plane = oh * ow;
  if (bias) for (let i = 0; i < y.length; i++) y[i]! += bias[Math.floor(i / plane) % s.co]!;
  return Float32Array.from(y);
}

export function conv2dInputGrad(dy: TypedArray, w: TypedArray, s: Conv2dShape): Float32Array {
  const dx = new Float64Array(s.n * s.ci * s.h * s.w);
  forEachTapBlock(s, (xi, wi, yi, rows, cols, xRow, yRow, step) => {
    const wv = w[wi]!;
    for (let r = 0; r < rows; r++)
      for (let j = 0, xr = xi + r * xRow, yr = yi + r * yRow; j < cols; j++) dx[xr + j * step]! += dy[yr + j]! * wv;
  });
  return Float32Array.from(dx);
}

export function conv2dWeightGrad(x: TypedArray, dy: TypedArray, s: Conv2dShape): Float32Array {
  const dw = new Float64Array(s.co * s.ci * s.kh * s.kw);
  forEachTapBlock(s, (xi, wi, yi, rows, cols, xRow, yRow, step) => {
    let acc = dw[wi]!;
    for (let r = 0; r < rows; r++)
      for (let j = 0, xr = xi + r * xRow, yr = yi + r * yRow; j < cols; j++) acc += dy[yr + j]! * x[xr + j * step]!;
    dw[wi] = acc;
  });
  return Float32Array.from(dw);
}

export function maxPool2d(x: TypedArray, s: Pool2dShape): [Float32Array, Int32Array] {
  const { oh, ow } = poolOutSize(s);
  const y = new Float32Array(s.planes * oh * ow);
  const idx = new Int32Array(y.length);
  for (let pl = 0; pl < s.planes; pl++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity;
        let arg = -1;
        forEachWindowTap(s, oy, ox, (iy, ix) => {
          const v = x[pl * s.h * s.w + iy * s.w + ix]!;
          // First maximum in row-major order wins; NaN wins (PyTorch's rule).
          if (arg < 0 || v > best || Number.isNaN(v)) {
            best = v;
            arg = iy * s.w + ix;
          }
        });
        const o = (pl * oh + oy) * ow + ox;
        y[o] = best;
        idx[o] = arg;
      }
  return [y, idx];
}

export function maxPool2dBackward(dy: TypedArray, idx: TypedArray, s: Pool2dShape): Float32Array {
  const { oh, ow } = poolOutSize(s);
  const dx = new Float64Array(s.planes * s.h * s.w);
  for (let pl = 0; pl < s.planes; pl++)
    for (let o = 0; o < oh * ow; o++) dx[pl * s.h * s.w + idx[pl * oh * ow + o]!]! += dy[pl * oh * ow + o]!;
  return Float32Array.from(dx);
}

function rowLse(x: TypedArray, off: number, cols: number): number {
  let mx = -Infinity;
  for (let j = 0; j < cols; j++) mx = Math.max(mx, x[off + j]!);
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(x[off + j]! - mx);
  return mx + Math.log(sum);
}

export function crossEntropy(
  x: TypedArray,
  labels: TypedArray,
  weight: TypedArray | null,
  rows: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    const y = labels[r]!;
    const ok = y >= 0 && y < cols;
    const w = weight && ok ? weight[y]! : 1;
    out[2 * r] = ok ? w * (rowLse(x, r * cols, cols) - x[r * cols + y]!) : NaN;
    out[2 * r + 1] = w;
  }
  return out;
}

export function crossEntropyBackward(
  x: TypedArray,
  labels: TypedArray,
  weight: TypedArray | null,
  scale: TypedArray,
  rows: number,
  cols: number,
  perRowScale: boolean,
): Float32Array {
  const dx = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const y = Math.min(Math.max(labels[r]!, 0), cols - 1);
    const w = weight ? weight[y]! : 1;
    const s = scale[perRowScale ? r : 0]! * w;
    const lse = rowLse(x, r * cols, cols);
    for (let j = 0; j < cols; j++) dx[r * cols + j] = s * (Math.exp(x[r * cols + j]! - lse) - (j === y ? 1 : 0));
  }
  return dx;
}

export function sgdStep(p: TypedArray, g: TypedArray, buf: TypedArray | null, n: number, o: SgdOptions): void {
  for (let i = 0; i < n; i++) {
    let d = g[i]!;
    if (o.weightDecay !== 0) d += o.weightDecay * p[i]!;
    if (o.momentum !== 0) {
      const b = o.firstStep ? d : o.momentum * buf![i]! + (1 - o.dampening) * d;
      buf![i] = b;
      d = o.nesterov ? d + o.momentum * b : b;
    }
    p[i] = p[i]! - o.lr * d;
  }
}

export function adamStep(p: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, n: number, o: AdamOptions): void {
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < n; i++) {
    let param = p[i]!;
    let d = g[i]!;
    if (o.weightDecay !== 0) {
      if (o.decoupled) param *= 1 - o.lr * o.weightDecay;
      else d += o.weightDecay * param;
    }
    m[i] = m[i]! + (d - m[i]!) * (1 - o.beta1);
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * d * d;
    const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + o.eps;
    p[i] = param - (o.lr / bc1) * (m[i]! / denom);
  }
}

/** [mean (c), biased variance (c)] per channel of NCHW x, two passes in float64. */
export function batchNormStats(x: TypedArray, s: BatchNormShape): Float32Array {
  const out = new Float32Array(2 * s.c);
  const count = s.n * s.hw;
  for (let ch = 0; ch < s.c; ch++) {
    let sum = 0;
    for (let b = 0; b < s.n; b++) for (let j = 0; j < s.hw; j++) sum += x[(b * s.c + ch) * s.hw + j]!;
    const mean = sum / count;
    let sq = 0;
    for (let b = 0; b < s.n; b++) for (let j = 0; j < s.hw; j++) sq += (x[(b * s.c + ch) * s.hw + j]! - mean) ** 2;
    out[ch] = mean;
    out[s.c + ch] = sq / count;
  }
  return out;
}

/** [running mean, running variance] after a training step (PyTorch's momentum update, the batch variance unbiased). */
export function batchNormRunning(
  stats: TypedArray,
  runningMean: TypedArray,
  runningVar: TypedArray,
  s: { c: number; count: number; momentum: number },
): [Float32Array, Float32Array] {
  const mean = new Float32Array(s.c);
  const variance = new Float32Array(s.c);
  const keep = Math.fround(1 - s.momentum);
  const take = Math.fround(s.momentum);
  const takeVar = Math.fround((s.momentum * s.count) / (s.count - 1));
  for (let ch = 0; ch < s.c; ch++) {
    mean[ch] = runningMean[ch]! * keep + stats[ch]! * take;
    variance[ch] = runningVar[ch]! * keep + stats[s.c + ch]! * takeVar;
  }
  return [mean, variance];
}

/** (x - mean) / sqrt(var + eps) · w + b per channel (+ residual), clamped at zero with `relu`. */
export function batchNormApply(
  x: TypedArray,
  stats: TypedArray,
  w: TypedArray,
  b: TypedArray,
  s: BatchNormShape & { eps: number; relu: boolean },
  residual: TypedArray | null = null,
): Float32Array {
  const y = new Float32Array(s.n * s.c * s.hw);
  for (let i = 0; i < y.length; i++) {
    const ch = Math.floor(i / s.hw) % s.c;
    const v =
      ((x[i]! - stats[ch]!) / Math.sqrt(stats[s.c + ch]! + s.eps)) * w[ch]! + b[ch]! + (residual ? residual[i]! : 0);
    y[i] = s.relu ? Math.max(v, 0) : v;
  }
  return y;
}

/**
 * Training-mode backward: [sums = [dbias (c), dweight (c)], dx, the
 * gradient reaching a fused residual (with `residualGrad`)]; `y` masks the
 * gradient when the ReLU was fused.
 */
export function batchNormBackward(
  g: TypedArray,
  y: TypedArray | null,
  x: TypedArray,
  stats: TypedArray,
  w: TypedArray,
  s: BatchNormShape & { eps: number },
  residualGrad = false,
): [Float32Array, Float32Array, Float32Array | null] {
  const sums = new Float32Array(2 * s.c);
  const dx = new Float32Array(s.n * s.c * s.hw);
  const count = s.n * s.hw;
  const grad = (i: number) => (y && !(y[i]! > 0) ? 0 : g[i]!);
  for (let ch = 0; ch < s.c; ch++) {
    const mean = stats[ch]!;
    const invstd = 1 / Math.sqrt(stats[s.c + ch]! + s.eps);
    let sg = 0;
    let sgx = 0;
    for (let b = 0; b < s.n; b++) {
      for (let j = 0; j < s.hw; j++) {
        const i = (b * s.c + ch) * s.hw + j;
        sg += grad(i);
        sgx += grad(i) * (x[i]! - mean) * invstd;
      }
    }
    sums[ch] = sg;
    sums[s.c + ch] = sgx;
    for (let b = 0; b < s.n; b++) {
      for (let j = 0; j < s.hw; j++) {
        const i = (b * s.c + ch) * s.hw + j;
        const xhat = (x[i]! - mean) * invstd;
        dx[i] = w[ch]! * invstd * (grad(i) - sg / count - (xhat * sgx) / count);
      }
    }
  }
  return [sums, dx, residualGrad ? Float32Array.from({ length: g.length }, (_, i) => grad(i)) : null];
}
