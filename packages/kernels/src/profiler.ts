/**
 * Per-dispatch profile. While a profiler is attached, the context records
 * every dispatch it encodes (pipeline, bind group, grid, and a copy of its
 * parameter bytes) and runs normally. `GpuContext.replayProfile` then runs
 * each recorded dispatch again on its own, waiting for it, and times it:
 * wall time per dispatch with no timestamp queries (llvmpipe has none). The
 * buffers are the same ones (the pool never destroys a buffer it may hand
 * out again), so sizes, layouts and caches are the real step's.
 */
export interface ProfileRow {
  /** The kernel's name (its WGSL program). */
  kernel: string;
  /** The op and shapes, as the dispatch was labelled. */
  label: string;
  ms: number;
}

export interface RecordedDispatch {
  kernel: string;
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: readonly [number, number, number];
  uniformOffset: number;
  params: ArrayBuffer;
}

export class Profiler {
  readonly dispatches: RecordedDispatch[] = [];

  record(d: RecordedDispatch): void {
    this.dispatches.push(d);
  }
}
