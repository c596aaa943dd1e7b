import { backendFor, getDefaultDevice } from '../backend/registry.js';
import { arrayFor, checkDType, type DeviceName, type DType, type TypedArray } from '../dtype.js';
import { defaultGenerator, type Generator } from '../random.js';
import { checkShape, formatShape, numel } from '../shape.js';
import { Tensor } from '../tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: DeviceName;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

type Nested = number | readonly Nested[];

function make(values: TypedArray, shape: readonly number[], opts: TensorOptions): Tensor {
  const device = opts.device ?? getDefaultDevice();
  const dtype = values instanceof Int32Array ? 'int32' : 'float32';
  const t = Tensor.fromHandle(device, backendFor(device).upload(values), shape, dtype);
  if (values instanceof Int32Array && values.length > 0) {
    let lo = values[0]!;
    let hi = lo;
    for (const v of values) {
      if (v < lo) lo = v;
      else if (v > hi) hi = v;
    }
    t.storageFor('tensor').intRange = [lo, hi];
  }
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferNested(op: string, data: Nested): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let level: Nested = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = (level as readonly Nested[])[0] ?? 0;
    if (shape.length > 16) throw new Error(`${op}: nesting too deep`);
  }
  const flat: number[] = [];
  const walk = (v: Nested, dim: number) => {
    if (dim === shape.length) {
      if (typeof v !== 'number')
        throw new Error(`${op}: expected a number at depth ${dim}, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new Error(`${op}: ragged nested array: expected length ${shape[dim]} at depth ${dim}`);
    }
    for (const x of v) walk(x, dim + 1);
  };
  walk(data, 0);
  return { shape, flat };
}

/**
 * A tensor from numbers: nested arrays (shape inferred), or a flat array /
 * typed array with `shape`.
 */
export function tensor(data: Nested | TypedArray, opts: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  const dtype = checkDType(opts.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32'));
  let flat: ArrayLike<number>;
  let shape: readonly number[];
  if (ArrayBuffer.isView(data)) {
    flat = data;
    shape = opts.shape ?? [data.length];
  } else {
    const inferred = inferNested('tensor', data as Nested);
    flat = inferred.flat;
    shape = opts.shape ?? inferred.shape;
  }
  checkShape('tensor', shape);
  if (numel(shape) !== flat.length) {
    throw new Error(`tensor: shape ${formatShape(shape)} needs ${numel(shape)} values, got ${flat.length}`);
  }
  const values = arrayFor(dtype, flat.length);
  values.set(flat);
  return make(values, shape, opts);
}

export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  checkShape('full', shape);
  const device = opts.device ?? getDefaultDevice();
  const dtype = checkDType(opts.dtype ?? 'float32');
  const t = Tensor.fromHandle(device, backendFor(device).fill(numel(shape), value, dtype), shape, dtype);
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

export function zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, device: t.device, ...opts });
}

export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, device: t.device, ...opts });
}

/** A tensor of `shape` filled by `draw` from the options' generator (or the default one). */
function randomTensor(
  op: string,
  shape: readonly number[],
  opts: RandomOptions,
  draw: (g: Generator) => number,
): Tensor {
  checkShape(op, shape);
  const g = opts.generator ?? defaultGenerator;
  const values = new Float32Array(numel(shape));
  for (let i = 0; i < values.length; i++) values[i] = draw(g);
  return make(values, shape, opts);
}

/** Uniform in [low, high). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const lo = opts.low ?? 0;
  const hi = opts.high ?? 1;
  return randomTensor('rand', shape, opts, (g) => lo + (hi - lo) * g.uniform());
}

/** Normal with the given mean and std (default standard normal). */
export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  return randomTensor('randn', shape, opts, (g) => mean + std * g.normal());
}

/** Integers uniform in [low, high), int32 unless dtype says otherwise. */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkShape('randint', shape);
  if (!(high > low)) throw new Error(`randint: high (${high}) must be greater than low (${low})`);
  const g = opts.generator ?? defaultGenerator;
  const values = arrayFor(opts.dtype ?? 'int32', numel(shape));
  for (let i = 0; i < values.length; i++) values[i] = low + g.int(high - low);
  return make(values, shape, opts);
}

/** start, start + step, … below end (like torch.arange). */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new Error('arange: step must be non-zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  // float32 by default (PyTorch gives int64): most ops here take float32.
  const dtype = opts.dtype ?? 'float32';
  const values = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return make(values, [n], opts);
}

/** A copy converted to `dtype` (float32 -> int32 truncates); no gradient flows through it. */
export function toDType(x: Tensor, dtype: DType): Tensor {
  const s = x.storageFor('toDType');
  if (x.dtype === dtype) return x.detach();
  return Tensor.fromHandle(x.device, s.backend.cast(s.handle, x.size, dtype), x.shape, dtype);
}

/** One-hot float32 rows [..., classes] from int32 class indices (out-of-range indices give all-zero rows). */
export function oneHot(labels: Tensor, classes: number): Tensor {
  if (labels.dtype !== 'int32') throw new Error(`oneHot: labels must be int32, got ${labels.dtype}`);
  if (!Number.isInteger(classes) || classes <= 0)
    throw new Error(`oneHot: classes must be a positive integer, got ${classes}`);
  const f = toDType(labels, 'float32');
  const col = f.reshape([...labels.shape, 1]);
  const ids = arange(0, classes, 1, { device: labels.device });
  const out = col.eq(ids);
  for (const t of [f, col, ids]) t.dispose();
  return out;
}
