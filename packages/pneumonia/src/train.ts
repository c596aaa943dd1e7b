/**
 * Training the blog CNN on a chest X-ray dataset, with the library's
 * DataLoader and fit(): patient-level validation split, class weights for
 * the imbalance, augmentation prepared while the GPU runs the previous
 * step, validation, the operating point and checkpoints (best and last)
 * every epoch in an epoch callback, a cosine learning-rate schedule, early
 * stopping, exact resume, and a clear stop on a NaN or infinite loss.
 *
 * In parts: the options resolved once (train-settings.ts), the data and the
 * class balance (train-data.ts), the model, optimizer and their resume
 * (train-state.ts), and the epoch callback with the checkpoints
 * (train-epoch.ts). Early stopping is the callback's own, not nn's
 * earlyStopping: the best epoch it counts from survives a resume.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  add,
  type BatchEnd,
  crossEntropy,
  DataLoader,
  fit as fitModel,
  Generator,
  logSoftmax,
  manualSeed,
  mean,
  mul,
  NonFiniteLossError,
  narrow,
  neg,
  noGrad,
  type Tensor,
  tensor,
  tidy,
} from '@pneumo/nn';
import { checkpointBase, cleanCheckpointDir } from './checkpoint.js';
import type { TaskMode } from './classes.js';
import { type Augment, type AugmentStrength, fillBatch, type Sampling } from './data/batches.js';
import type { Contrast, Fit } from './data/image.js';
import type { Skipped } from './data/layout.js';
import type { Headline } from './metrics.js';
import { type Architecture, buildModel } from './model.js';
import { lockRunDir } from './run-lock.js';
import { classBalance, loadTrainingData } from './train-data.js';
import { epochCallback, lastGood } from './train-epoch.js';
import { resolveTrainOptions } from './train-settings.js';
import { buildTrainingState, disposeTraining, resumeTrainingState } from './train-state.js';
import { argmaxRow } from './uncertainty.js';

export interface TrainOptions {
  data: string;
  out: string;
  epochs?: number;
  batchSize?: number;
  optimizer?: 'sgd' | 'adam';
  lr?: number;
  weightDecay?: number;
  seed?: number;
  /** Seed of the patient-level validation split (default: `seed`); the members of a seed ensemble share one. */
  splitSeed?: number;
  resume?: boolean;
  mode?: TaskMode;
  /** The network: 'blog-cnn' (default) or 'resnet'. */
  architecture?: Architecture;
  /** Input side: fixed at 32 for the blog CNN; 16-256 for the ResNet (default 64). */
  inputSize?: number;
  /** ResNet stage widths and blocks per stage (default RESNET_DEFAULTS). */
  widths?: number[];
  blocks?: number[];
  /** Head outputs (default the blog's 10; the ResNet has one per class). */
  outputs?: number;
  /** Fraction of training patients held out for validation. */
  valFraction?: number;
  /** Epochs without a better validation macro-F1 before stopping. */
  patience?: number;
  fit?: Fit;
  /** Contrast normalization before the downsample (default 'none'). */
  contrast?: Contrast;
  /** Augmentation: a strength from AUGMENTS (default 'default'), explicit ranges, or null for none. */
  augment?: Augment | AugmentStrength | null;
  /** Validate and ship an exponential moving average of the weights with this decay (default: none). */
  ema?: number;
  /** Label smoothing ε: the loss mixes (1 - ε) of the class's cross-entropy with ε of the uniform one (default 0). */
  labelSmoothing?: number;
  /** Validate with test-time augmentation (TTA_VIEWS), and record it so predictions use it too (default false). */
  tta?: boolean;
  /** Sensitivity the pneumonia-vs-normal operating point is chosen for on validation (default 0.95). */
  targetSensitivity?: number;
  /**
   * A development set of other patients (a dataset root; its test/ split, or
   * every image when it has none) that chooses the best epoch (its macro-F1
   * after the prior shift), the class-prior shift and the operating point.
   * Never trained on: no gradient and no statistics come from it.
   */
  selectOn?: string;
  /** Recorded in the checkpoints (e.g. the command line that ran this). */
  provenance?: Record<string, unknown>;
  /** Weight classes by inverse frequency in the loss (default: true unless sampling is balanced). */
  classWeights?: boolean;
  /** 'shuffle' (default): every training image once per epoch; 'balanced': each epoch draws as many images, the classes equally often (with replacement). */
  sampling?: Sampling;
  /** Image cache directory (null: none). */
  cacheDir?: string | null;
  /** Stop after this many batches per epoch (for quick runs and tests). */
  maxBatches?: number;
  /** End the run after this epoch, as an interruption would (the schedule still spans `epochs`). */
  stopAfterEpoch?: number;
  /** Replace the checkpoints of an earlier run in `out` (without it, such a directory is refused unless resuming). */
  force?: boolean;
}

export interface EpochLog {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  valMacroF1: number;
  /** On the development set (--select-on), after the prior shift; absent without one. */
  dev?: Headline;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface TrainEvents {
  log?: (line: string) => void;
  /** Called during an epoch with progress, for a progress bar. */
  progress?: (p: BatchEnd) => void;
}

export interface TrainResult {
  history: EpochLog[];
  /** The epoch kept as best and its selection score (dev macro-F1 with --select-on, else validation macro-F1). */
  best: { epoch: number; score: number; path: string };
  last: string;
  stoppedEarly: boolean;
  skipped: Skipped[];
  counts: { train: number; val: number; dev: number };
}

/**
 * Cross-entropy with label smoothing over the k real classes:
 * (1 - ε) · CE(y, weighted) + ε · mean over the batch and the k classes of
 * -log p. (The blog's head has 10 outputs for 3 classes; PyTorch's
 * label_smoothing would spread ε over the 7 unused outputs too.)
 */
function smoothedLoss(logits: Tensor, y: Tensor, weight: Tensor | null, k: number, eps: number): Tensor {
  return tidy(() => {
    const ce = crossEntropy(logits, y, { weight });
    const uniform = neg(mean(logSoftmax(narrow(logits, 1, 0, k), 1)));
    return add(mul(ce, 1 - eps), mul(uniform, eps));
  });
}

/** A training batch: the network input, the labels on the device, and the same labels on the host (for accuracy). */
interface TrainBatch {
  input: Tensor;
  target: Tensor;
  labels: Int32Array;
}

/**
 * Trains (see the file comment) with `o.out` locked for this run: a second
 * run on the same directory is refused, as is one that would replace an
 * earlier run's checkpoints without `resume` or `force`.
 */
export async function train(o: TrainOptions, ev: TrainEvents = {}): Promise<TrainResult> {
  const lock = lockRunDir(o.out);
  try {
    const removed = cleanCheckpointDir(o.out);
    if (removed.length > 0) ev.log?.(`removed ${removed.length} file(s) an interrupted save left in ${o.out}`);
    const existing = ['last', 'best'].filter((n) => existsSync(join(o.out, `${n}.json`)));
    if (o.resume && !existing.includes('last'))
      throw new Error(`nothing to resume: ${o.out} has no last checkpoint (last.json)`);
    if (!o.resume && existing.length > 0) {
      if (!o.force) {
        throw new Error(
          `${o.out} already holds the checkpoints of a training run (${existing.map((n) => `${n}.json`).join(', ')}): ` +
            `continue it with --resume, replace it with --force, or choose another --out`,
        );
      }
      for (const n of existing) {
        for (const f of [`${n}.json`, `${n}.safetensors`]) rmSync(join(o.out, f), { force: true });
      }
      cleanCheckpointDir(o.out);
    }
    return await trainIn(o, ev);
  } finally {
    lock.release();
  }
}

async function trainIn(o: TrainOptions, ev: TrainEvents): Promise<TrainResult> {
  const log = ev.log ?? (() => {});
  const s = resolveTrainOptions(o);
  const data = loadTrainingData(o, s, log);
  const rng = new Generator(s.seed);
  const model = buildModel(s.spec, { generator: new Generator(s.seed + 2) });
  const state = buildTrainingState(o, s, data.norm, model);
  if (o.resume) resumeTrainingState(o, s, state, rng, log);
  const balance = classBalance(o, s, data);
  manualSeed(s.seed);
  const { k, batchSize } = s;
  const size = s.spec.inputSize;
  const per = 3 * size * size;
  // Whole batches only (the last partial one is dropped; the shuffle moves
  // different images into it each epoch), unless all data fits in less.
  const batches = new DataLoader<TrainBatch>(
    {
      length: data.trainIdx.length,
      batch(batch, g) {
        const x = new Float32Array(batch.length * per);
        fillBatch(x, data.trainPixels, size, batch, state.norm, s.augment, g);
        const y = Int32Array.from(batch, (j) => data.labels[data.trainIdx[j]!]!);
        return { input: tensor(x, { shape: [batch.length, 3, size, size] }), target: tensor(y), labels: y };
      },
    },
    { batchSize, shuffle: true, dropLast: true, generator: rng, weights: balance.sampleWeights },
  );
  const stopped = { early: false };
  const classWeight = balance.classWeight;
  try {
    await fitModel<TrainBatch>({
      model,
      optimizer: state.opt,
      data: batches,
      epochs: s.epochs,
      startEpoch: state.startEpoch,
      scheduler: state.sched,
      ema: state.ema,
      maxBatches: o.maxBatches,
      loss: (logits, b) =>
        s.smoothing > 0
          ? smoothedLoss(logits, b.target, classWeight, k, s.smoothing)
          : crossEntropy(logits, b.target, { weight: classWeight }),
      correct: async (logits, b) => {
        const head = noGrad(() => narrow(logits, 1, 0, k));
        const lv = await head.data();
        head.dispose();
        let right = 0;
        for (let i = 0; i < b.labels.length; i++) if (argmaxRow(lv, i, k) === b.labels[i]) right++;
        return right;
      },
      callbacks: [
        { onBatchEnd: (p) => ev.progress?.(p) },
        { onEpochEnd: epochCallback({ o, s, data, state, balance, rng, log }, stopped) },
      ],
    });
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      disposeTraining(state, classWeight);
      throw new Error(`training stopped: ${e.message}; ${lastGood(s)} (try a lower --lr)`);
    }
    throw e;
  }
  disposeTraining(state, classWeight);
  return {
    history: state.history,
    best: { ...state.best, path: `${checkpointBase(s.bestBase)}.safetensors` },
    last: `${s.lastBase}.safetensors`,
    stoppedEarly: stopped.early,
    skipped: data.skipped,
    counts: { train: data.trainIdx.length, val: data.valIdx.length, dev: data.dev?.indices.length ?? 0 },
  };
}
