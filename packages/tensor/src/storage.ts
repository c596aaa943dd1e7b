import type { Backend } from './backend/backend.js';
import { BYTES_PER_ELEMENT, type DType } from './dtype.js';

const counters = { storages: 0, bytes: 0 };

/**
 * A device buffer shared by tensors that view it (reshape shares; saved
 * tensors of the autograd graph share). Reference-counted: the buffer goes
 * back to the device when the last user releases it.
 */
export class Storage {
  private refs = 1;
  /**
   * For int32 data uploaded from the host: its smallest and largest value,
   * so ops that take indices (class labels) can refuse out-of-range ones
   * without a readback. Unknown (undefined) for data a kernel wrote.
   */
  intRange?: readonly [number, number];

  constructor(
    readonly backend: Backend,
    readonly handle: unknown,
    readonly size: number,
    readonly dtype: DType,
  ) {
    counters.storages++;
    counters.bytes += size * BYTES_PER_ELEMENT[dtype];
  }

  retain(): this {
    if (this.refs <= 0) throw new Error('internal: retaining a freed storage');
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) {
      this.backend.free(this.handle);
      counters.storages--;
      counters.bytes -= this.size * BYTES_PER_ELEMENT[this.dtype];
    }
  }
}

export function storageCounters(): { storages: number; bytes: number } {
  return { ...counters };
}
