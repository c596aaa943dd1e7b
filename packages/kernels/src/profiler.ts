/**
 * Per-dispatch profile: with a profiler attached, the context submits every
 * dispatch on its own and notes when the queue finishes it. The GPU runs
 * submissions in order and, while profiling, is never left idle (encoding is
 * far faster than running), so the time between two completions is the
 * later dispatch's run time. Coarse (it includes a submit's own overhead,
 * ~0.05 ms here) but needs no timestamp queries, which llvmpipe lacks.
 */
export interface ProfileRow {
  /** The kernel's name (its WGSL program). */
  kernel: string;
  /** The op and shapes, as the dispatch was labelled. */
  label: string;
  ms: number;
}

export class Profiler {
  private readonly pending: Promise<[string, string, number]>[] = [];
  private start = performance.now();

  /** Called by the context right after it submitted one dispatch. */
  submitted(kernel: string, label: string, done: Promise<unknown>): void {
    this.pending.push(done.then(() => [kernel, label, performance.now()]));
  }

  /** Starts a new measurement window (call after a sync, before the work to profile). */
  reset(): void {
    this.pending.length = 0;
    this.start = performance.now();
  }

  /** The dispatches submitted since the last reset, with their run times; waits for them. */
  async rows(): Promise<ProfileRow[]> {
    const done = await Promise.all(this.pending);
    const rows: ProfileRow[] = [];
    let prev = this.start;
    for (const [kernel, label, t] of done) {
      rows.push({ kernel, label, ms: Math.max(0, t - prev) });
      prev = Math.max(prev, t);
    }
    return rows;
  }
}
