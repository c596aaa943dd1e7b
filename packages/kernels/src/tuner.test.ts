import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conv2dForward, convForwardCandidates, pickConvForward, pickMatmul } from './kernels/index.js';
import { createDevice, fileTuneStore } from './node.js';
import { Tuner } from './tuner.js';

describe('Tuner', () => {
  it('returns the first candidate until timed, then the fastest, and remembers it', async () => {
    let now = 0;
    const host = { flush: () => {}, waitIdle: async () => {} };
    const tuner = new Tuner(host, 'test-adapter', null, true, { reps: 3 });
    const costs: Record<string, number> = { a: 5, b: 1, c: 3 };
    const realNow = performance.now.bind(performance);
    performance.now = () => now;
    try {
      const bench = () => ({ run: (c: string) => (now += costs[c]!), dispose: () => {} });
      expect(tuner.pick('op', 'shape', ['a', 'b', 'c'], bench)).toBe('a');
      expect(tuner.pendingCount).toBe(1);
      await tuner.runPending();
      expect(tuner.pick('op', 'shape', ['a', 'b', 'c'], bench)).toBe('b');
      expect(tuner.history[0]!.timings).toEqual([5, 1, 3]);
    } finally {
      performance.now = realNow;
    }
  });

  it('rejects a candidate whose warm-up is over the compile limit, for every shape and every later start', async () => {
    let now = 0;
    const saved: Record<string, Record<string, string>> = {};
    const store = {
      load: (k: string) => ({ ...saved[k] }),
      save: (k: string, c: Record<string, string>) => void (saved[k] = { ...c }),
    };
    const host = { flush: () => {}, waitIdle: async () => {} };
    const realNow = performance.now.bind(performance);
    performance.now = () => now;
    try {
      let compiled = new Set<string>();
      const runs: string[] = [];
      // 'slow' costs 50 ms to compile (its first run), then 1 ms per run; 'ok' 2 ms always.
      const bench = () => ({
        run: (c: string) => {
          runs.push(c);
          now += c === 'slow' && !compiled.has(c) ? 50 : c === 'slow' ? 1 : 2;
          compiled.add(c);
        },
        dispose: () => {},
      });
      const tuner = new Tuner(host, 'a', store, true, { reps: 2, compileLimitMs: 20 });
      expect(tuner.pick('op', 's1', ['slow', 'ok'], bench)).toBe('slow');
      await tuner.runPending();
      expect(tuner.pick('op', 's1', ['slow', 'ok'], bench)).toBe('ok');
      expect(tuner.rejected('op', 'slow')).toMatch(/warm-up took 50 ms/);
      expect(tuner.history[0]!.timings).toEqual([Infinity, 2]);
      expect(runs.filter((r) => r === 'slow')).toHaveLength(1);
      // A new process (fresh compile cache) never compiles it again, for any shape.
      compiled = new Set();
      runs.length = 0;
      const later = new Tuner(host, 'a', store, true, { reps: 2, compileLimitMs: 20 });
      expect(later.pick('op', 's2', ['slow', 'ok', 'ok2'], bench)).toBe('ok');
      await later.runPending();
      expect(runs).not.toContain('slow');
      // Only one candidate left: it runs without a timing job.
      expect(later.pick('op', 's3', ['slow', 'ok'], bench)).toBe('ok');
      expect(later.pendingCount).toBe(0);
    } finally {
      performance.now = realNow;
    }
  });

  it('does nothing when disabled', () => {
    const tuner = new Tuner({ flush: () => {}, waitIdle: async () => {} }, 'k', null, false);
    expect(tuner.pick('op', 's', [1, 2], () => ({ run: () => {}, dispose: () => {} }))).toBe(1);
    expect(tuner.pendingCount).toBe(0);
  });

  it('times real conv and matmul variants at the next sync and persists the choice', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pneumo-tune-')), 'tuning.json');
    const ctx = await createDevice({ log: false, tune: true, tuneStore: fileTuneStore(file) });
    const s = { n: 2, ci: 8, h: 12, w: 12, co: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 };
    const first = pickConvForward(ctx, s);
    expect(first).toEqual(convForwardCandidates(ctx, s)[0]);
    pickMatmul(
      ctx,
      { batch: 1, m: 64, n: 64, k: 64, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 },
      true,
    );
    expect(ctx.tuner.pendingCount).toBe(2);
    await ctx.sync();
    expect(ctx.tuner.pendingCount).toBe(0);
    const chosen = pickConvForward(ctx, s);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
    const entries = Object.values(saved)[0]!;
    expect(JSON.stringify(chosen)).toBe(entries['conv2d|2,8,12,12,16,3,3,1,1,1,1']);
    expect(Object.keys(entries).sort()).toEqual(['conv2d|2,8,12,12,16,3,3,1,1,1,1', 'matmul|1,64,64,64,NT,00']);
    // A new context on the same adapter starts from the saved choice.
    const again = await createDevice({ log: false, tune: true, tuneStore: fileTuneStore(file) });
    expect(pickConvForward(again, s)).toEqual(chosen);
    expect(again.tuner.pendingCount).toBe(0);
    // The chosen variant computes, like every other (checked in kernels/variants.test.ts).
    const y = ctx.alloc(2 * 16 * 144 * 4);
    const x = ctx.alloc(2 * 8 * 144 * 4);
    const w = ctx.alloc(16 * 8 * 9 * 4);
    conv2dForward(ctx, x, w, null, y, s, chosen);
    await ctx.sync();
    ctx.destroy();
    again.destroy();
  });
});
