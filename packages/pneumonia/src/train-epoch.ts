/**
 * What `train` does after every epoch: validation (and, with a dev set of
 * other patients, the class-prior shift and the operating point chosen on
 * it), the best and last checkpoints, the epoch's log line, and the decision
 * to stop early.
 */
import type { EpochEnd, Generator } from '@pneumo/nn';
import { type CheckpointInfo, NonFiniteWeightsError, readCheckpointInfo, saveCheckpoint } from './checkpoint.js';
import { existsSync } from 'node:fs';
import { predictProbs, viewsOf } from './infer.js';
import { computeMetrics, headline, type Metrics } from './metrics.js';
import { applyPriorShift, fitPriorShift, type PriorShift } from './prior-shift.js';
import type { EpochLog, TrainOptions } from './train.js';
import type { ClassBalance, TrainingData } from './train-data.js';
import type { TrainSettings } from './train-settings.js';
import { disposeTraining, type TrainingState } from './train-state.js';
import { chooseOperatingPoint, type OperatingPoint } from './uncertainty.js';

/** The run as the epoch callback sees it. */
export interface EpochContext {
  o: TrainOptions;
  s: TrainSettings;
  data: TrainingData;
  state: TrainingState;
  balance: ClassBalance;
  /** The loader's generator (its state goes into the checkpoint, for an exact resume). */
  rng: Generator;
  log: (line: string) => void;
}

/** The decisions that travel with each epoch's weights. */
interface Selection {
  operatingPoint?: OperatingPoint;
  priorShift?: PriorShift;
}

/** Where training can restart from, for the messages of a stop. */
export function lastGood(s: TrainSettings): string {
  return existsSync(`${s.lastBase}.json`)
    ? `the last good checkpoint is ${s.lastBase} (epoch ${readCheckpointInfo(s.lastBase).epoch})`
    : 'no checkpoint was written (no epoch finished)';
}

/** Stops the run on non-finite weights or outputs: frees the device, says what is left on disk. */
function diverged(c: EpochContext, epoch: number, why: string): never {
  disposeTraining(c.state, c.balance.classWeight);
  throw new Error(
    `training stopped in epoch ${epoch}: the weights or the optimizer state became non-finite (${why}); nothing was saved for this epoch; ${lastGood(c.s)} (try a lower --lr)`,
  );
}

/** The checkpoint description of `epoch`: the recipe, the data, the selection, and everything resume needs. */
function checkpointInfo(
  c: EpochContext,
  sel: Selection,
  epoch: number,
  metrics: Record<string, unknown>,
): CheckpointInfo {
  const { o, s, data, state } = c;
  const dev = data.dev;
  return {
    format: 'pneumo-checkpoint',
    version: 1,
    architecture: s.spec.architecture,
    ...(s.spec.resnet ? { resnet: s.spec.resnet } : {}),
    outputs: s.spec.outputs,
    mode: s.mode,
    classes: [...s.names],
    inputSize: s.spec.inputSize,
    fit: s.fit,
    contrast: s.contrast,
    normalization: state.norm,
    ...(o.tta ? { tta: true } : {}),
    operatingPoint: sel.operatingPoint,
    ...(sel.priorShift ? { priorShift: sel.priorShift } : {}),
    ...(dev
      ? {
          selection: {
            on: 'dev',
            data: dev.root,
            files: dev.identity.files,
            filesSha256: dev.identity.filesSha256,
            score: 'dev macro-F1 after the prior shift',
          },
        }
      : {}),
    trainedOn: data.trainedOn,
    provenance: o.provenance,
    epoch,
    metrics,
    history: state.history as unknown as Record<string, unknown>[],
    optimizer: { type: s.optimizer, hyper: state.opt.stateDict().hyper, steps: state.opt.stateDict().steps },
    scheduler: state.sched.stateDict(),
    rng: c.rng.getState(),
    best: state.best,
    options: {
      epochs: s.epochs,
      batchSize: s.batchSize,
      architecture: s.spec.architecture,
      seed: s.seed,
      splitSeed: s.splitSeed,
      lr: s.lr,
      valFraction: s.valFraction,
      optimizer: s.optimizer,
      labelSmoothing: s.smoothing,
      augment: s.augment,
      classWeights: c.balance.useClassWeights,
      sampling: s.sampling,
      tta: s.tta,
      selectOn: o.selectOn ?? null,
      contrast: s.contrast,
      ema: o.ema ?? 0,
      emaUpdates: state.ema?.stateDict().updates ?? 0,
    },
  };
}

function meanLossFromProbs(probs: Float32Array, labels: ArrayLike<number>, k: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(Math.max(probs[i * k + labels[i]!]!, 1e-12));
  return sum / Math.max(1, labels.length);
}

/**
 * This epoch's metrics on the dev set and on validation. The dev set chooses
 * the prior shift and the operating point, and validation is read through
 * the same decision; without a dev set the operating point is validation's.
 * Either way it travels with this epoch's weights (`sel`).
 */
async function validate(c: EpochContext, sel: Selection, epoch: number) {
  const { s, data, state } = c;
  const views = viewsOf({ tta: c.o.tta });
  let devMetrics: Metrics | null = null;
  if (data.dev) {
    const dev = data.dev;
    const raw = await predictProbs(
      state.model,
      dev.loaded.pixels,
      s.spec.inputSize,
      dev.indices,
      state.norm,
      s.k,
      s.batchSize,
      views,
    );
    if (!raw.every(Number.isFinite)) diverged(c, epoch, 'the dev-set outputs are not finite');
    const devLabels = Array.from(dev.loaded.labels);
    sel.priorShift = { logOffsets: fitPriorShift(raw, devLabels, s.k), chosenOn: dev.description };
    const probs = applyPriorShift(raw, s.k, sel.priorShift.logOffsets);
    sel.operatingPoint = dev.bothKinds
      ? { ...chooseOperatingPoint(probs, devLabels, s.k, s.targetSensitivity), chosenOn: dev.description }
      : undefined;
    devMetrics = computeMetrics(probs, devLabels, s.names, { operatingPoint: sel.operatingPoint });
  }
  let metrics: Metrics | null = null;
  let valLoss = NaN;
  if (data.valIdx.length > 0) {
    const raw = await predictProbs(
      state.model,
      data.loaded.pixels,
      s.spec.inputSize,
      data.valIdx,
      state.norm,
      s.k,
      s.batchSize,
      views,
    );
    if (!raw.every(Number.isFinite)) diverged(c, epoch, 'the validation outputs are not finite');
    const probs = applyPriorShift(raw, s.k, sel.priorShift?.logOffsets);
    const valLabels = data.valIdx.map((i) => data.labels[i]!);
    if (!data.dev) {
      sel.operatingPoint =
        valLabels.some((l) => l === 0) && valLabels.some((l) => l !== 0)
          ? chooseOperatingPoint(probs, valLabels, s.k, s.targetSensitivity)
          : undefined;
    }
    metrics = computeMetrics(probs, valLabels, s.names, { operatingPoint: sel.operatingPoint });
    valLoss = meanLossFromProbs(probs, valLabels, s.k);
  }
  return { metrics, valLoss, devMetrics };
}

function epochLine(s: TrainSettings, e: EpochLog, improved: boolean): string {
  return (
    `epoch ${e.epoch}/${s.epochs}  loss ${e.trainLoss.toFixed(4)}  acc ${(100 * e.trainAccuracy).toFixed(1)}%  ` +
    `val loss ${e.valLoss.toFixed(4)}  val acc ${(100 * e.valAccuracy).toFixed(1)}%  val macro-F1 ${(100 * e.valMacroF1).toFixed(1)}%  ` +
    (e.dev
      ? `dev acc ${(100 * e.dev.accuracy).toFixed(1)}%  dev macro-F1 ${(100 * e.dev.macroF1).toFixed(1)}%  dev normal recall ${(100 * e.dev.normalRecall).toFixed(1)}%  dev spec@op ${(100 * e.dev.specificity).toFixed(1)}%  `
      : '') +
    `lr ${e.lr.toExponential(2)}  ${e.imagesPerSecond.toFixed(1)} img/s  ${e.seconds.toFixed(1)} s${improved ? '  (best)' : ''}`
  );
}

/**
 * The epoch callback for `fit`: validates (on the weight averages when there
 * are any), records the epoch, saves `best` when the selection score rose
 * and `last` always (it resumes exactly: the trained weights, the optimizer
 * state and the averages), logs, and says when to stop. `stopped.early`
 * tells the caller whether patience ran out.
 */
export function epochCallback(c: EpochContext, stopped: { early: boolean }) {
  const { s, state } = c;
  const sel: Selection = {};
  return async (e: EpochEnd): Promise<'stop' | void> => {
    const c0 = performance.now();
    const epoch = e.epoch;
    state.ema?.swapIn();
    const { metrics, valLoss, devMetrics } = await validate(c, sel, epoch);
    const entry: EpochLog = {
      epoch,
      trainLoss: e.trainLoss,
      trainAccuracy: e.trainAccuracy,
      valLoss,
      valAccuracy: metrics?.accuracy ?? NaN,
      valMacroF1: metrics?.macroF1 ?? NaN,
      ...(devMetrics ? { dev: headline(devMetrics) } : {}),
      lr: state.sched.getLastLr(),
      seconds: e.seconds + (performance.now() - c0) / 1000,
      imagesPerSecond: e.imagesPerSecond,
    };
    state.history.push(entry);
    const score = devMetrics ? devMetrics.macroF1 : metrics ? metrics.macroF1 : -entry.trainLoss;
    const improved = score > state.best.score;
    if (improved) state.best = { epoch, score };
    const summary = {
      train: { loss: entry.trainLoss, accuracy: entry.trainAccuracy },
      validation: metrics,
      ...(devMetrics ? { dev: devMetrics } : {}),
    };
    try {
      if (improved) await saveCheckpoint(s.bestBase, state.model, checkpointInfo(c, sel, epoch, summary));
      state.ema?.swapOut();
      const optState = state.opt.stateDict();
      if (state.ema) state.ema.stateDict().averages.forEach((t, i) => (optState.tensors[`ema.${i}`] = t));
      await saveCheckpoint(s.lastBase, state.model, checkpointInfo(c, sel, epoch, summary), optState);
    } catch (err) {
      if (err instanceof NonFiniteWeightsError) diverged(c, epoch, err.message);
      throw err;
    }
    c.log(epochLine(s, entry, improved));
    if (c.o.stopAfterEpoch !== undefined && epoch >= c.o.stopAfterEpoch) return 'stop';
    if (epoch - state.best.epoch >= s.patience) {
      c.log(
        `early stop: no better ${c.data.dev ? 'dev-set' : 'validation'} macro-F1 for ${s.patience} epochs (best: epoch ${state.best.epoch})`,
      );
      stopped.early = true;
      return 'stop';
    }
  };
}
