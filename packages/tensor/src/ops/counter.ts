import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * t += by, in place, on an int32 tensor (no autograd): counters such as
 * BatchNorm's num_batches_tracked, in one dispatch on WebGPU. Wraps at
 * 2^31 as int32 arithmetic does.
 */
export function incrementInt32(t: Tensor, by = 1): void {
  if (t.dtype !== 'int32')
    throw new Error(`incrementInt32: expected an int32 tensor, got ${t.dtype} ${formatShape(t.shape)}`);
  if (!Number.isInteger(by) || Math.abs(by) > 2 ** 31 - 1)
    throw new Error(`incrementInt32: by must be an int32, got ${by}`);
  t.storage.backend.addInt32InPlace(t.handle('incrementInt32'), t.size, by);
}
