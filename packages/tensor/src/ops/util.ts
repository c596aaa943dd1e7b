import type { Backend } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { formatShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Validates that every input is a live float32 tensor on one device; returns that device's backend. */
export function floatInputs(op: string, ...ts: Tensor[]): Backend {
  for (const t of ts) {
    if (!(t instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${describe(t)}`);
    t.storageFor(op);
    if (t.dtype !== 'float32') {
      throw new Error(`${op}: expected float32 tensors, got ${t.dtype} of shape ${formatShape(t.shape)}`);
    }
  }
  const devices = [...new Set(ts.map((t) => t.device))];
  if (devices.length > 1) {
    throw new Error(`${op}: expected all tensors on the same device, got ${ts.map((t) => t.device).join(' and ')}`);
  }
  return ts[0]!.storage.backend;
}

/** Wraps a new buffer from `backend` as a result tensor. */
export function result(backend: Backend, handle: unknown, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return Tensor.fromHandle(backend.name, handle, shape, dtype);
}

/**
 * Sums a broadcast gradient back to `shape` (the reverse of broadcasting):
 * over leading extra dims and dims that were 1. Returns a new tensor.
 */
export function sumTo(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad.share();
  const lead = grad.ndim - shape.length;
  const axes: number[] = [];
  for (let d = 0; d < grad.ndim; d++) {
    if (d < lead || (shape[d - lead] === 1 && grad.shape[d] !== 1)) axes.push(d);
  }
  const summed = grad.sum(axes, true);
  const out = summed.reshape([...shape]);
  summed.dispose();
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array (wrap it with tensor())';
  return typeof v;
}

/** A size given as one number or an [h, w] pair, validated: integers >= min. */
export function pair(
  op: string,
  name: string,
  v: number | readonly [number, number] | undefined,
  dflt: number,
  min: number,
): [number, number] {
  const p = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}
