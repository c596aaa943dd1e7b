/** Median wall time of `reps` runs of an async step, after `warmup` runs. */
export async function medianMs(step: () => Promise<void>, reps = 5, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await step();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

export const gflops = (flops: number, ms: number) => flops / ms / 1e6;
export const gbps = (bytes: number, ms: number) => bytes / ms / 1e6;
