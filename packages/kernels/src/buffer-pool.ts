/**
 * Size-bucketed pool of storage buffers. GPU buffers are not garbage collected
 * in any useful time, so tensors return theirs here and the next allocation of
 * a similar size reuses it instead of asking the driver again.
 *
 * Buckets are powers of two above 4 KiB (rounding waste is at most 2x and the
 * bucket count stays small); small buffers round to 256 bytes.
 */
export function bucketSize(bytes: number): number {
  const n = Math.max(16, bytes);
  if (n <= 4096) return Math.ceil(n / 256) * 256;
  return 2 ** Math.ceil(Math.log2(n));
}

export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  /** Bytes of the buffers handed out (bucket sizes). */
  liveBytes: number;
  /** Buffers kept for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Buffers ever created by the pool (a flat number in a loop means reuse works). */
  created: number;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly sizes = new WeakMap<GPUBuffer, number>();
  private live = 0;
  private liveBytes = 0;
  private pooled = 0;
  private pooledBytes = 0;
  private created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    /** Bytes kept idle at most; beyond it released buffers are destroyed. */
    private readonly maxPooledBytes = 1 << 30,
  ) {}

  acquire(bytes: number, label?: string): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.pooled--;
      this.pooledBytes -= size;
    } else {
      buf = this.device.createBuffer({ size, usage: this.usage, label });
      this.sizes.set(buf, size);
      this.created++;
    }
    this.live++;
    this.liveBytes += size;
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) throw new Error('BufferPool.release: buffer does not belong to this pool');
    this.live--;
    this.liveBytes -= size;
    if (this.pooledBytes + size > this.maxPooledBytes) {
      buf.destroy();
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
    this.pooled++;
    this.pooledBytes += size;
  }

  /** Destroys every idle buffer (live ones stay with their owners). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooled = 0;
    this.pooledBytes = 0;
  }

  stats(): PoolStats {
    return {
      liveBuffers: this.live,
      liveBytes: this.liveBytes,
      pooledBuffers: this.pooled,
      pooledBytes: this.pooledBytes,
      created: this.created,
    };
  }
}
