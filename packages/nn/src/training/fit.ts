import { type Tensor, tidy } from '@pneumo/tensor';
import type { Module } from '../module.js';
import type { EMA } from '../optim/ema.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LRScheduler } from '../optim/scheduler.js';
import type { Batch, DataLoader } from './data-loader.js';

/** Progress after each step. */
export interface BatchEnd {
  epoch: number;
  epochs: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  /** Mean loss and accuracy of the epoch so far (accuracy NaN without `correct`). */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  /** Seconds left in this epoch at the current pace. */
  etaSeconds: number;
}

/** What an epoch did; callbacks may add their own numbers to `metrics` for the ones after them. */
export interface EpochEnd {
  epoch: number;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  /** The learning rate after the scheduler's step. */
  lr: number;
  /** Training time of the epoch (before the callbacks). */
  seconds: number;
  imagesPerSecond: number;
  metrics: Record<string, number>;
}

export interface Callback {
  onBatchEnd?(s: BatchEnd): void;
  /** After the epoch and the scheduler step; 'stop' ends training (later callbacks still run for this epoch). */
  onEpochEnd?(s: EpochEnd): 'stop' | void | Promise<'stop' | void>;
}

export interface FitOptions<B extends Batch> {
  model: Module;
  optimizer: Optimizer;
  /** The scalar loss of a batch from the model's output. */
  loss: (output: Tensor, batch: B) => Tensor;
  data: DataLoader<B>;
  epochs: number;
  /** The first epoch to run (1-based; later when resuming). */
  startEpoch?: number;
  /** Stepped once per epoch, after its last batch. */
  scheduler?: LRScheduler | null;
  /** Updated after every optimizer step. */
  ema?: EMA | null;
  /** At most this many batches per epoch (quick runs). */
  maxBatches?: number;
  /** Right predictions in a batch (read back with the loss every step). */
  correct?: (output: Tensor, batch: B) => Promise<number>;
  callbacks?: readonly Callback[];
}

/** A loss that became NaN or infinite: training stops at once, naming where. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly value: number,
    readonly epoch: number,
    readonly batch: number,
  ) {
    super(`the loss became ${value} at epoch ${epoch}, batch ${batch}`);
  }
}

/**
 * The training loop: per batch zeroGrad, forward, loss, backward, step,
 * the EMA update, then the next batch is prepared while the GPU runs this
 * one, and only then is the loss read back (a real loop reads it every
 * step). Per epoch the scheduler steps and the callbacks run (validation,
 * checkpoints, early stopping, logs). The inputs of each batch and every
 * intermediate are disposed. Returns the epochs' records.
 */
export async function fit<B extends Batch>(o: FitOptions<B>): Promise<EpochEnd[]> {
  const history: EpochEnd[] = [];
  const callbacks = o.callbacks ?? [];
  for (let epoch = o.startEpoch ?? 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    o.model.train();
    const batches = Math.min(o.data.length, o.maxBatches ?? Infinity);
    const it = o.data[Symbol.iterator]();
    let next = batches > 0 ? it.next() : null;
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let b = 0; b < batches; b++) {
      const batch = next!.value as B;
      const n = batch.input.shape[0] ?? 1;
      o.optimizer.zeroGrad();
      const output = tidy(() => o.model.forward(batch.input));
      const loss = o.loss(output, batch);
      loss.backward();
      o.optimizer.step();
      o.ema?.update();
      // The GPU works on this step while the next batch is prepared.
      next = b + 1 < batches ? it.next() : null;
      let value: number;
      try {
        value = await loss.item();
        if (o.correct) correct += await o.correct(output, batch);
      } finally {
        for (const t of [batch.input, batch.target, output, loss]) t.dispose();
      }
      if (!Number.isFinite(value)) {
        if (next && !next.done) for (const t of [next.value.input, next.value.target]) t.dispose();
        throw new NonFiniteLossError(value, epoch, b + 1);
      }
      lossSum += value * n;
      seen += n;
      const elapsed = (performance.now() - t0) / 1000;
      const s = {
        epoch,
        epochs: o.epochs,
        batch: b + 1,
        batches,
        loss: lossSum / seen,
        accuracy: o.correct ? correct / seen : NaN,
        imagesPerSecond: seen / elapsed,
        etaSeconds: (elapsed / (b + 1)) * (batches - b - 1),
      };
      for (const c of callbacks) c.onBatchEnd?.(s);
    }
    o.scheduler?.step();
    const seconds = (performance.now() - t0) / 1000;
    const end: EpochEnd = {
      epoch,
      epochs: o.epochs,
      trainLoss: lossSum / Math.max(1, seen),
      trainAccuracy: o.correct ? correct / Math.max(1, seen) : NaN,
      lr: o.optimizer.lr,
      seconds,
      imagesPerSecond: seen / seconds,
      metrics: {},
    };
    history.push(end);
    let stop = false;
    for (const c of callbacks) if ((await c.onEpochEnd?.(end)) === 'stop') stop = true;
    if (stop) break;
  }
  return history;
}

/**
 * Stops training when `monitor` (a number a callback before this one put
 * in `metrics`, e.g. a validation score) has not improved for `patience`
 * epochs. `best` holds the best epoch and value so far.
 */
export function earlyStopping(o: {
  monitor: string;
  patience: number;
  mode?: 'max' | 'min';
}): Callback & { best: { epoch: number; value: number } } {
  const sign = o.mode === 'min' ? -1 : 1;
  const cb = {
    best: { epoch: 0, value: -Infinity * sign },
    onEpochEnd(s: EpochEnd): 'stop' | void {
      const v = s.metrics[o.monitor];
      if (v === undefined)
        throw new Error(`earlyStopping: no metric '${o.monitor}' (a callback before it must set it)`);
      if (sign * v > sign * cb.best.value) cb.best = { epoch: s.epoch, value: v };
      if (s.epoch - cb.best.epoch >= o.patience) return 'stop';
    },
  };
  return cb;
}
