import type { ArgReduceOp, GatherShape, ReduceOp } from '@pneumo/kernels';
import { arrayFor, type DType, type TypedArray } from '../dtype.js';
import { contiguousStrides, numel } from '../shape.js';
import type { Backend, BackendArgs } from './backend.js';
import { BINARY_OPS, reference as nn, UNARY_OPS } from '@pneumo/kernels';

type Args<K extends keyof Backend<TypedArray>> = BackendArgs<TypedArray, K>;

/**
 * The reference backend: plain loops, written to be obviously correct rather
 * than fast. GPU results are tested against it, and it runs everything when
 * no WebGPU adapter exists. Parameters come from the Backend interface
 * (Args), and most ops forward to the kernels package's cpu reference.
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

  unary(...[op, x, shape, xStrides, s = 0, xOffset = 0]: Args<'unary'>): TypedArray {
    const f = UNARY_OPS[op].cpu;
    const out =
      op === 'copy' && x instanceof Int32Array ? new Int32Array(numel(shape)) : new Float32Array(numel(shape));
    forEachIndex(shape, [xStrides], (i, [ix]) => {
      out[i] = f(x[ix! + xOffset]!, s);
    });
    return out;
  }

  binary(...[op, a, aStrides, b, bStrides, shape]: Args<'binary'>): TypedArray {
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

  matmul(...args: Args<'matmul'>): TypedArray {
    return nn.matmul(...args);
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

  conv2d(...args: Args<'conv2d'>): TypedArray {
    return nn.conv2d(...args);
  }

  conv2dInputGrad(...args: Args<'conv2dInputGrad'>): TypedArray {
    return nn.conv2dInputGrad(...args);
  }

  conv2dWeightGrad(...args: Args<'conv2dWeightGrad'>): TypedArray {
    return nn.conv2dWeightGrad(...args);
  }

  batchNormStats(...args: Args<'batchNormStats'>): TypedArray {
    return nn.batchNormStats(...args);
  }

  batchNormRunning(...args: Args<'batchNormRunning'>): [TypedArray, TypedArray] {
    return nn.batchNormRunning(...args);
  }

  batchNormApply(...args: Args<'batchNormApply'>): TypedArray {
    return nn.batchNormApply(...args);
  }

  batchNormBackward(...args: Args<'batchNormBackward'>): [TypedArray, TypedArray, TypedArray | null] {
    return nn.batchNormBackward(...args);
  }

  maxPool2d(...args: Args<'maxPool2d'>): [TypedArray, TypedArray] {
    return nn.maxPool2d(...args);
  }

  maxPool2dBackward(...args: Args<'maxPool2dBackward'>): TypedArray {
    return nn.maxPool2dBackward(...args);
  }

  crossEntropy(...args: Args<'crossEntropy'>): TypedArray {
    return nn.crossEntropy(...args);
  }

  crossEntropyBackward(...args: Args<'crossEntropyBackward'>): TypedArray {
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

  sgdStep(...args: Args<'sgdStep'>): void {
    nn.sgdStep(...args);
  }

  adamStep(...args: Args<'adamStep'>): void {
    nn.adamStep(...args);
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
