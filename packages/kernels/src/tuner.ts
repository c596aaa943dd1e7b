/**
 * Picks the fastest kernel variant per (adapter, op, shape class).
 *
 * Ops encode synchronously, and timing GPU work needs an await, so the
 * first use of a shape runs the default variant and queues a timing job;
 * the context runs queued jobs at its next sync point (a readback or
 * sync()), on scratch buffers, and from then on the winner is used. Winners
 * are kept in memory and, through a TuneStore, on disk, keyed by adapter.
 *
 * Compile cost counts: a candidate whose pipeline takes longer than
 * `compileLimitMs` to create is dropped and remembered as rejected (under
 * `reject|<op>|<candidate>`, for every shape), so no later start pays for
 * compiling it again.
 */
export interface TuneStore {
  load(adapterKey: string): Record<string, string>;
  save(adapterKey: string, choices: Record<string, string>): void;
}

/** Scratch set-up for timing: run(c) encodes one dispatch of candidate c. */
export interface TuneBench<C> {
  run(candidate: C): void;
  dispose(): void;
}

interface Job {
  op: string;
  candidates: readonly unknown[];
  setup: () => TuneBench<unknown>;
}

export interface TunerHost {
  flush(): void;
  waitIdle(): Promise<void>;
}

export interface TuneResult {
  key: string;
  choice: string;
  /** The candidates timed, in order. */
  candidates: string[];
  /** Fastest ms per candidate, in candidate order (Infinity: rejected). */
  timings: number[];
  /** Pipeline creation (and first run) ms per candidate. */
  compileMs: number[];
}

export interface TunerOptions {
  /** Timed runs per candidate (the minimum is kept). */
  reps?: number;
  /** A candidate whose warm-up (pipeline creation + first run) takes longer is rejected for good. */
  compileLimitMs?: number;
}

const rejectKey = (op: string, candidate: string) => `reject|${op}|${candidate}`;

export class Tuner {
  private readonly choices = new Map<string, string>();
  private readonly pending = new Map<string, Job>();
  private running = false;
  /** Every timing job run in this process, for reports. */
  readonly history: TuneResult[] = [];
  private readonly reps: number;
  private readonly compileLimitMs: number;

  constructor(
    private readonly host: TunerHost,
    private readonly adapterKey: string,
    private readonly store: TuneStore | null,
    readonly enabled: boolean,
    options: TunerOptions = {},
  ) {
    this.reps = options.reps ?? 5;
    this.compileLimitMs = options.compileLimitMs ?? 10_000;
    if (enabled && store) {
      for (const [k, v] of Object.entries(store.load(adapterKey))) this.choices.set(k, v);
    }
  }

  /**
   * The cached winner for (op, shape), else the first candidate not
   * rejected (and a timing job is queued).
   */
  pick<C>(op: string, shapeKey: string, all: readonly C[], setup: () => TuneBench<C>): C {
    if (all.length === 0) throw new Error(`${op}: no kernel variant fits ${shapeKey}`);
    if (!this.enabled) return all[0]!;
    const allowed = all.filter((c) => !this.choices.has(rejectKey(op, JSON.stringify(c))));
    // Every candidate rejected: the first still has to run.
    const candidates = allowed.length > 0 ? allowed : all.slice(0, 1);
    if (candidates.length === 1) return candidates[0]!;
    const key = `${op}|${shapeKey}`;
    const hit = this.choices.get(key);
    if (hit !== undefined) {
      const found = candidates.find((c) => JSON.stringify(c) === hit);
      if (found) return found;
    }
    if (!this.pending.has(key)) this.pending.set(key, { op, candidates, setup: setup as () => TuneBench<unknown> });
    return candidates[0]!;
  }

  /** Why a candidate of an op was rejected for good, if it was. */
  rejected(op: string, candidate: unknown): string | undefined {
    return this.choices.get(rejectKey(op, JSON.stringify(candidate)));
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Times every queued job's candidates and records the winners. */
  async runPending(): Promise<void> {
    if (this.running || this.pending.size === 0) return;
    this.running = true;
    try {
      const jobs = [...this.pending.entries()];
      this.pending.clear();
      for (const [key, job] of jobs) {
        const bench = job.setup();
        const timings: number[] = [];
        const compileMs: number[] = [];
        try {
          for (const c of job.candidates) {
            // Warm-up: creating the pipeline happens here, synchronously.
            const w0 = performance.now();
            bench.run(c);
            this.host.flush();
            await this.host.waitIdle();
            const warm = performance.now() - w0;
            compileMs.push(warm);
            if (warm > this.compileLimitMs) {
              this.choices.set(rejectKey(job.op, JSON.stringify(c)), `warm-up took ${Math.round(warm)} ms`);
              timings.push(Infinity);
              continue;
            }
            const ts: number[] = [];
            const bestSoFar = Math.min(Infinity, ...timings);
            for (let i = 0; i < this.reps; i++) {
              const t0 = performance.now();
              bench.run(c);
              this.host.flush();
              await this.host.waitIdle();
              ts.push(performance.now() - t0);
              // A candidate twice as slow as the best so far will not win: stop timing it.
              if (ts[0]! > 2 * bestSoFar) break;
            }
            // The minimum: interference from other processes only ever adds time.
            timings.push(Math.min(...ts));
          }
        } finally {
          bench.dispose();
        }
        const best = timings.indexOf(Math.min(...timings));
        const choice = JSON.stringify(job.candidates[Math.max(0, best)]);
        this.choices.set(key, choice);
        this.history.push({
          key,
          choice,
          candidates: job.candidates.map((c) => JSON.stringify(c)),
          timings,
          compileMs,
        });
      }
      this.store?.save(this.adapterKey, Object.fromEntries(this.choices));
    } finally {
      this.running = false;
    }
  }
}

/**
 * Version of the kernel generators. Bump it whenever a tuned kernel's code
 * changes: cached choices measured on older code are then ignored.
 */
export const KERNELS_VERSION = 23;

/** The key tuning choices are stored under: kernel version, adapter and driver. */
export function adapterKey(a: {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: string;
}): string {
  return [`v${KERNELS_VERSION}`, a.backend, a.vendor, a.architecture, a.device, a.description].join('|');
}
