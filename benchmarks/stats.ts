/**
 * Median wall time of one unit of work, over `reps` timed steps after
 * `warmup` steps. `step(times)` runs the work `times` times and waits for
 * it: work shorter than `minStepMs` is batched into one step (on a fast GPU a
 * submit-and-wait costs more than a small kernel), and the time divided.
 */
export async function medianMs(
  step: (times: number) => Promise<void>,
  reps = 5,
  warmup = 2,
  minStepMs = 20,
): Promise<number> {
  for (let i = 0; i < warmup; i++) await step(1);
  const t0 = performance.now();
  await step(1);
  const once = performance.now() - t0;
  const times = Math.min(100, Math.max(1, Math.ceil(minStepMs / Math.max(once, 1e-3))));
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await step(times);
    ts.push((performance.now() - t) / times);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

export const gflops = (flops: number, ms: number) => flops / ms / 1e6;
export const gbps = (bytes: number, ms: number) => bytes / ms / 1e6;
