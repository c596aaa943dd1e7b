import { gpuContext, init } from '@pneumo/tensor/node';

/**
 * Creates the WebGPU device for a test file. There is no skip: a machine
 * without an adapter fails the WebGPU tests with the reason (CI must never go
 * green by skipping them).
 */
export async function requireWebGpu(): Promise<void> {
  if (gpuContext()) return;
  try {
    await init({ device: 'webgpu' });
  } catch (e) {
    throw new Error(`WebGPU tests need an adapter and none could be created:\n${(e as Error).message}`);
  }
}

/** Max |a - b| over all elements; NaN if either has a NaN the other lacks. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) !== Number.isNaN(y)) return NaN;
    if (Number.isNaN(x)) continue;
    if (x === y) continue;
    m = Math.max(m, Math.abs(x - y));
  }
  return m;
}

/** Max |a - b| / max(1, |b|): relative for large values, absolute near zero. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) !== Number.isNaN(y)) return NaN;
    if (Number.isNaN(x) || x === y) continue;
    m = Math.max(m, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  return m;
}
