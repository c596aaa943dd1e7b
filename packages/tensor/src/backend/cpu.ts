import type {
  AdamOptions,
  ArgReduceOp,
  BatchNormShape,
  GatherShape,
  BinaryOp,
  Conv2dShape,
  MatmulShape,
  Pool2dShape,
  ReduceOp,
  SgdOptions,
  UnaryOp,
} from '@pneumo/kernels';
import { arrayFor, type DType, type TypedArray } from '../dtype.js';
import { contiguousStrides, numel } from '../shape.js';
import type { Backend } from './backend.js';
import { BINARY_OPS, reference as nn, UNARY_OPS } from '@pneumo/kernels';

/**
 * The reference backend: plain loops, written to be obviously correct rather
 * than fast. GPU results are tested against it, and it runs everything when
 * no WebGPU adapter exists.
 */
export class CpuBackend implements Backend<TypedArray> {
  readonly name = 'cpu' as const;
  readonly description = 'cpu (plain TypeScript reference backend)';

  alloc(n: number, dtype: DType): TypedArray {
    return arrayFor(dtype, n);
  }

  upload(data: TypedArray): TypedArray {
    return data.slice();
  }

  async read(h: TypedArray, n: number): Promise<TypedArray> {
    return h.slice(0, n);
  }

  free(): void {}

  fill(n: number, value: number, dtype: DType): TypedArray {
    return arrayFor(dtype, n).fill(value);
  }

  unary(
    op: UnaryOp,
    x: TypedArray,
    shape: readonly number[],
    xStrides: readonly number[],
    s = 0,
    xOffset = 0,
  ): TypedArray {
    const f = UNARY_OPS[op].cpu;
    const out =
      op === 'copy' && x instanceof Int32Array ? new Int32Array(numel(shape)) : new Float32Array(numel(shape));
    forEachIndex(shape, [xStrides], (i, [ix]) => {
      out[i] = f(x[ix! + xOffset]!, s);
    });
    return out;
  }

  binary(
    op: BinaryOp,
    a: TypedArray,
    aStrides: readonly number[],
    b: TypedArray,
    bStrides: readonly number[],
    shape: readonly number[],
  ): TypedArray {
    const f = BINARY_OPS[op].cpu;
    const out = new Float32Array(numel(shape));
    forEachIndex(shape, [aStrides, bStrides], (i, [ia, ib]) => {
      out[i] = f(a[ia!]!, b[ib!]!);
    });
    return out;
  }

  reduce(op: ReduceOp, x: TypedArray, shape: readonly number[], axes: readonly number[]): TypedArray {
    const strides = contiguousStrides(shape);
    const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
    const kshape = kept.map((d) => shape[d]!);
    const rshape = axes.map((d) => shape[d]!);
    const out = new Float32Array(numel(kshape));
    if (op === 'max' && numel(rshape) === 0)
      throw new Error(`max: cannot reduce over an empty dimension of [${shape}]`);
    forEachIndex(kshape, [kept.map((d) => strides[d]!)], (o, [base]) => {
      let acc = op === 'sum' ? 0 : -Infinity;
      forEachIndex(rshape, [axes.map((d) => strides[d]!)], (_, [off]) => {
        const v = x[base! + off!]!;
        acc = op === 'sum' ? Math.fround(acc + v) : Number.isNaN(acc) || Number.isNaN(v) ? NaN : Math.max(acc, v);
      });
      out[o] = acc;
    });
    return out;
  }

  gather(x: TypedArray, idx: TypedArray, s: GatherShape): TypedArray {
    // The source's own element type: int32 labels gather as int32.
    const y = new (x instanceof Int32Array ? Int32Array : Float32Array)(s.outer * s.count * s.inner);
    for (let o = 0; o < y.length; o++) {
      const b = o % s.inner;
      const a = Math.floor(o / (s.count * s.inner));
      const i = idx[s.shared ? Math.floor(o / s.inner) % s.count : o]!;
      y[o] = x[(a * s.size + Math.min(Math.max(i, 0), s.size - 1)) * s.inner + b]!;
    }
    return y;
  }

  gatherBackward(g: TypedArray, idx: TypedArray, s: GatherShape): TypedArray {
    const dx = new Float32Array(s.outer * s.size * s.inner);
    for (let o = 0; o < s.outer * s.count * s.inner; o++) {
      const b = o % s.inner;
      const a = Math.floor(o / (s.count * s.inner));
      const i = idx[s.shared ? Math.floor(o / s.inner) % s.count : o]!;
      if (i >= 0 && i < s.size)
        dx[(a * s.size + i) * s.inner + b] = Math.fround(dx[(a * s.size + i) * s.inner + b]! + g[o]!);
    }
    return dx;
  }

  concat(parts: readonly TypedArray[], counts: readonly number[]): TypedArray {
    const total = counts.reduce((a, b) => a + b, 0);
    const out = parts[0] instanceof Int32Array ? new Int32Array(total) : new Float32Array(total);
    let at = 0;
    parts.forEach((p, i) => {
      out.set(p.subarray(0, counts[i]!), at);
      at += counts[i]!;
    });
    return out;
  }

  argReduce(op: ArgReduceOp, x: TypedArray, shape: readonly number[], axis: number): TypedArray {
    const size = shape[axis]!;
    if (size === 0) throw new Error(`${op}: cannot reduce over an empty dimension of [${shape}]`);
    const inner = numel(shape.slice(axis + 1));
    const out = new Int32Array(numel(shape) / size);
    const better = op === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
    for (let o = 0; o < out.length; o++) {
      const base = Math.floor(o / inner) * size * inner + (o % inner);
      let best = x[base]!;
      let arg = 0;
      for (let r = 1; r < size && !Number.isNaN(best); r++) {
        const v = x[base + r * inner]!;
        if (Number.isNaN(v) || better(v, best)) [best, arg] = [v, r];
      }
      out[o] = arg;
    }
    return out;
  }

  matmul(a: TypedArray, b: TypedArray, s: MatmulShape, bias: TypedArray | null = null): TypedArray {
    return nn.matmul(a, b, s, bias);
  }

  softmax(x: TypedArray, rows: number, cols: number, log: boolean): TypedArray {
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) mx = Math.max(mx, x[o + j]!);
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j]! - mx);
      for (let j = 0; j < cols; j++) {
        out[o + j] = log ? x[o + j]! - mx - Math.log(sum) : Math.exp(x[o + j]! - mx) / sum;
      }
    }
    return out;
  }

  conv2d(x: TypedArray, w: TypedArray, bias: TypedArray | null, s: Conv2dShape): TypedArray {
    return nn.conv2d(x, w, bias, s);
  }

  conv2dInputGrad(dy: TypedArray, w: TypedArray, s: Conv2dShape): TypedArray {
    return nn.conv2dInputGrad(dy, w, s);
  }

  conv2dWeightGrad(x: TypedArray, dy: TypedArray, s: Conv2dShape): TypedArray {
    return nn.conv2dWeightGrad(x, dy, s);
  }

  batchNormStats(x: TypedArray, s: BatchNormShape): TypedArray {
    return nn.batchNormStats(x, s);
  }

  batchNormRunning(
    stats: TypedArray,
    runningMean: TypedArray,
    runningVar: TypedArray,
    s: { c: number; count: number; momentum: number },
  ): [TypedArray, TypedArray] {
    return nn.batchNormRunning(stats, runningMean, runningVar, s);
  }

  batchNormApply(
    x: TypedArray,
    stats: TypedArray,
    w: TypedArray,
    b: TypedArray,
    s: BatchNormShape & { eps: number; relu: boolean },
    residual: TypedArray | null = null,
  ): TypedArray {
    return nn.batchNormApply(x, stats, w, b, s, residual);
  }

  batchNormBackward(
    g: TypedArray,
    y: TypedArray | null,
    x: TypedArray,
    stats: TypedArray,
    w: TypedArray,
    s: BatchNormShape & { eps: number },
    residualGrad = false,
  ): [TypedArray, TypedArray, TypedArray | null] {
    return nn.batchNormBackward(g, y, x, stats, w, s, residualGrad);
  }

  maxPool2d(x: TypedArray, s: Pool2dShape): [TypedArray, TypedArray] {
    return nn.maxPool2d(x, s);
  }

  maxPool2dBackward(dy: TypedArray, idx: TypedArray, s: Pool2dShape): TypedArray {
    return nn.maxPool2dBackward(dy, idx, s);
  }

  crossEntropy(x: TypedArray, labels: TypedArray, weight: TypedArray | null, rows: number, cols: number): TypedArray {
    return nn.crossEntropy(x, labels, weight, rows, cols);
  }

  crossEntropyBackward(...args: Parameters<typeof nn.crossEntropyBackward>): TypedArray {
    return nn.crossEntropyBackward(...args);
  }

  cast(x: TypedArray, n: number, to: DType): TypedArray {
    const out = arrayFor(to, n);
    for (let i = 0; i < n; i++) out[i] = to === 'int32' ? Math.trunc(x[i]!) : x[i]!;
    return out;
  }

  addInt32InPlace(x: TypedArray, n: number, k: number): void {
    // Int32Array arithmetic wraps as the GPU's i32 does.
    for (let i = 0; i < n; i++) x[i] = x[i]! + k;
  }

  sgdStep(p: TypedArray, g: TypedArray, buf: TypedArray | null, n: number, o: SgdOptions): void {
    nn.sgdStep(p, g, buf, n, o);
  }

  adamStep(p: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, n: number, o: AdamOptions): void {
    nn.adamStep(p, g, m, v, n, o);
  }

  async sync(): Promise<void> {}

  stats(): Record<string, number> {
    return {};
  }
}

/** Calls fn(linearIndex, offsets) for every index of `shape`, with each strided offset. */
function forEachIndex(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  fn: (i: number, offsets: number[]) => void,
): void {
  const n = numel(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const offs = strides.map(() => 0);
  for (let i = 0; i < n; i++) {
    fn(i, offs);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      for (let k = 0; k < strides.length; k++) offs[k]! += strides[k]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let k = 0; k < strides.length; k++) offs[k]! -= strides[k]![d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}
