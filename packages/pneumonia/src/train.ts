/**
 * Training the blog CNN on a chest X-ray dataset, with the library's
 * DataLoader and fit(): patient-level validation split, class weights for
 * the imbalance, augmentation prepared while the GPU runs the previous
 * step, validation, the operating point and checkpoints (best and last)
 * every epoch in an epoch callback, a cosine learning-rate schedule, early
 * stopping, exact resume, and a clear stop on a NaN or infinite loss.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam,
  add,
  EMA,
  CosineAnnealingLR,
  DataLoader,
  type EpochEnd,
  fit as fitModel,
  NonFiniteLossError,
  crossEntropy,
  Generator,
  logSoftmax,
  manualSeed,
  mean,
  mul,
  narrow,
  neg,
  noGrad,
  type Optimizer,
  SGD,
  tensor,
  tidy,
  type Tensor,
} from '@pneumo/nn';
import {
  checkpointBase,
  type CheckpointInfo,
  cleanCheckpointDir,
  loadCheckpointWeights,
  loadOptimizerTensors,
  NonFiniteWeightsError,
  readCheckpointInfo,
  saveCheckpoint,
} from './checkpoint.js';
import { lockRunDir } from './run-lock.js';
import { classNames, type TaskMode } from './classes.js';
import { type Augment, AUGMENTS, type AugmentStrength, fillBatch, type Sampling, SAMPLINGS } from './data/batches.js';
import type { Contrast, Fit } from './data/image.js';
import { SYNTHETIC_MARKER } from './data/synthetic.js';
import { argmaxRow, chooseOperatingPoint, type OperatingPoint } from './uncertainty.js';
import type { ImageRecord, Skipped } from './data/layout.js';
import { runSplit } from './data/run-split.js';
import { loadDevSet, type DevSet } from './data/dev-set.js';
import { applyPriorShift, fitPriorShift, type PriorShift } from './prior-shift.js';
import { datasetIdentity } from './data/identity.js';
import { loadImages, pixelStats } from './data/load.js';
import { predictProbs, viewsOf } from './infer.js';
import { computeMetrics, type Headline, headline, type Metrics } from './metrics.js';
import { type Architecture, buildModel, modelSpec } from './model.js';

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
  progress?: (p: {
    epoch: number;
    epochs: number;
    batch: number;
    batches: number;
    loss: number;
    accuracy: number;
    imagesPerSecond: number;
    etaSeconds: number;
  }) => void;
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

function meanLossFromProbs(probs: Float32Array, labels: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s -= Math.log(Math.max(probs[i * k + labels[i]!]!, 1e-12));
  return s / Math.max(1, labels.length);
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
  const mode = o.mode ?? 'three-class';
  const names = classNames(mode);
  const k = names.length;
  const spec = modelSpec(o, k);
  const outputs = spec.outputs;
  const epochs = o.epochs ?? 10;
  const batchSize = o.batchSize ?? 32;
  const seed = o.seed ?? 1;
  const size = spec.inputSize;
  const fit = o.fit ?? 'stretch';
  const augment =
    o.augment === undefined ? AUGMENTS.default : typeof o.augment === 'string' ? AUGMENTS[o.augment] : o.augment;
  if (augment === undefined)
    throw new Error(`unknown augmentation strength '${String(o.augment)}' (${Object.keys(AUGMENTS).join(', ')})`);
  const contrast = o.contrast ?? 'none';
  const smoothing = o.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`label smoothing must be in [0, 1), got ${smoothing}`);
  const targetSensitivity = o.targetSensitivity ?? 0.95;
  const lastBase = join(o.out, 'last');
  const bestBase = join(o.out, 'best');

  // Data: train and the official val pool together, split again by patient.
  const splitSeed = o.splitSeed ?? seed;
  const found = runSplit(o.data, mode, splitSeed, o.valFraction ?? 0.15);
  const present = new Set(found.records.map((r) => r.label));
  const missing = names.filter((_, c) => !present.has(c));
  if (missing.length > 0) {
    throw new Error(
      `${found.root} has no ${missing.join(' or ')} images in train/ and val/: every class needs examples to train on`,
    );
  }
  const rng = new Generator(seed);
  const split = found;
  const records: ImageRecord[] = [...split.train, ...split.val];
  log(
    `data: ${found.root}: ${found.records.length} images (${split.train.length} train, ${split.val.length} validation, split by patient)`,
  );
  const trainedOn = datasetIdentity(found.root, records);
  if (trainedOn.kind === 'synthetic')
    log(`note: ${found.root} is a synthetic dataset (${SYNTHETIC_MARKER}); the checkpoints are labelled so`);
  const loaded = loadImages(records, {
    size,
    fit,
    contrast,
    cacheDir: o.cacheDir,
    onProgress: (d, t) => d === t && log(`decoded ${t} images`),
  });
  const skipped = [...found.skipped, ...loaded.skipped];
  for (const s of skipped) log(`warning: skipped ${s.path}: ${s.reason}`);
  const valSet = new Set(split.val.map((r) => r.path));
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  loaded.records.forEach((r, i) => (valSet.has(r.path) ? valIdx : trainIdx).push(i));
  if (trainIdx.length === 0) throw new Error('no training images left after the validation split');
  const labels = loaded.labels;
  const dev: DevSet | null = o.selectOn
    ? loadDevSet(o.selectOn, mode, records, { size, fit, contrast, cacheDir: o.cacheDir })
    : null;
  if (dev) {
    log(`selection on ${dev.root}: ${dev.loaded.records.length} images of other patients (never trained on)`);
    for (const s of dev.skipped) log(`warning: skipped ${s.path}: ${s.reason}`);
  }
  const trainPixels = new Float32Array(trainIdx.length * size * size);
  trainIdx.forEach((idx, j) =>
    trainPixels.set(loaded.pixels.subarray(idx * size * size, (idx + 1) * size * size), j * size * size),
  );
  let norm = pixelStats(trainPixels);

  // Model, optimizer, schedule (or the state to resume from).
  const model = buildModel(spec, { generator: new Generator(seed + 2) });
  // Adam at 3e-4: at 1e-3 the blog's deep ReLU stack without normalization
  // stalls at the class prior for many epochs (measured on the synthetic set).
  // Batch norm lets the ResNet take Adam's usual 1e-3.
  const lr = o.lr ?? (o.optimizer === 'sgd' ? 0.01 : spec.architecture === 'resnet' ? 1e-3 : 3e-4);
  const opt: Optimizer =
    o.optimizer === 'sgd'
      ? new SGD(model.parameters(), { lr, momentum: 0.9, weightDecay: o.weightDecay ?? 5e-4 })
      : new Adam(model.parameters(), { lr, weightDecay: o.weightDecay ?? 0 });
  const sched = new CosineAnnealingLR(opt, epochs, lr * 0.01);
  const ema = o.ema ? new EMA(model.parameters(), o.ema) : null;
  let startEpoch = 1;
  let history: EpochLog[] = [];
  let best = { epoch: 0, score: -Infinity };
  if (o.resume) {
    const info = readCheckpointInfo(lastBase);
    const describe = (a: { architecture: string; inputSize: number; resnet?: unknown }) =>
      `${a.architecture} at ${a.inputSize}x${a.inputSize}${a.resnet ? ` ${JSON.stringify(a.resnet)}` : ''}`;
    if (describe(info) !== describe(spec)) {
      throw new Error(
        `cannot resume: ${lastBase} is a ${describe(info)}, these options build a ${describe(spec)} (give the run's --arch, --input-size, --widths and --blocks again)`,
      );
    }
    loadCheckpointWeights(lastBase, model);
    const tensors = loadOptimizerTensors(lastBase);
    opt.loadStateDict({ hyper: info.optimizer!.hyper, steps: info.optimizer!.steps, tensors });
    if (ema) {
      const averages = ema.params.map((_, i) => tensors[`ema.${i}`]);
      if (averages.some((t) => t === undefined))
        throw new Error(`cannot resume with --ema: ${lastBase} has no weight averages (it was trained without --ema)`);
      ema.loadStateDict({
        decay: o.ema!,
        updates: Number(info.options?.emaUpdates ?? 0),
        averages: averages as Tensor[],
      });
    }
    for (const t of Object.values(tensors)) t.dispose();
    sched.loadStateDict(info.scheduler!);
    rng.setState(info.rng!);
    norm = info.normalization;
    history = info.history as unknown as EpochLog[];
    best = info.best ?? best;
    startEpoch = info.epoch + 1;
    log(`resuming from ${lastBase} after epoch ${info.epoch}`);
  }

  // The imbalance: inverse-frequency class weights in the loss, or balanced
  // sampling (not both by default: together they would correct twice).
  const sampling = o.sampling ?? 'shuffle';
  if (!SAMPLINGS.includes(sampling))
    throw new Error(`unknown sampling '${String(sampling)}' (${SAMPLINGS.join(', ')})`);
  const counts = new Array<number>(outputs).fill(0);
  for (const i of trainIdx) counts[labels[i]!]!++;
  const weightValues = counts.map((c, i) => (i >= k || c === 0 ? 1 : trainIdx.length / (k * c)));
  const useClassWeights = o.classWeights ?? sampling !== 'balanced';
  const classWeight = useClassWeights ? tensor(Float32Array.from(weightValues)) : null;
  const sampleWeights = sampling === 'balanced' ? trainIdx.map((i) => 1 / counts[labels[i]!]!) : undefined;

  let operatingPoint: OperatingPoint | undefined;
  let priorShift: PriorShift | undefined;
  const info = (epoch: number, metrics: Record<string, unknown>): CheckpointInfo => ({
    format: 'pneumo-checkpoint',
    version: 1,
    architecture: spec.architecture,
    ...(spec.resnet ? { resnet: spec.resnet } : {}),
    outputs,
    mode,
    classes: [...names],
    inputSize: size,
    fit,
    contrast,
    normalization: norm,
    ...(o.tta ? { tta: true } : {}),
    operatingPoint,
    ...(priorShift ? { priorShift } : {}),
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
    trainedOn,
    provenance: o.provenance,
    epoch,
    metrics,
    history: history as unknown as Record<string, unknown>[],
    optimizer: { type: o.optimizer ?? 'adam', hyper: opt.stateDict().hyper, steps: opt.stateDict().steps },
    scheduler: sched.stateDict(),
    rng: rng.getState(),
    best,
    options: {
      epochs,
      batchSize,
      architecture: spec.architecture,
      seed,
      splitSeed,
      lr,
      valFraction: o.valFraction ?? 0.15,
      optimizer: o.optimizer ?? 'adam',
      labelSmoothing: smoothing,
      augment,
      classWeights: useClassWeights,
      sampling,
      tta: o.tta ?? false,
      selectOn: o.selectOn ?? null,
      contrast,
      ema: o.ema ?? 0,
      emaUpdates: ema?.stateDict().updates ?? 0,
    },
  });

  /** Where training can restart from, for the messages of a stop. */
  const lastGood = () =>
    existsSync(`${lastBase}.json`)
      ? `the last good checkpoint is ${lastBase} (epoch ${readCheckpointInfo(lastBase).epoch})`
      : 'no checkpoint was written (no epoch finished)';
  const diverged = (epoch: number, why: string): never => {
    ema?.dispose();
    model.dispose();
    opt.dispose();
    classWeight?.dispose();
    throw new Error(
      `training stopped in epoch ${epoch}: the weights or the optimizer state became non-finite (${why}); nothing was saved for this epoch; ${lastGood()} (try a lower --lr)`,
    );
  };

  manualSeed(seed);
  const patience = o.patience ?? 5;
  let stoppedEarly = false;
  const per = 3 * size * size;
  // Whole batches only (the last partial one is dropped; the shuffle moves
  // different images into it each epoch), unless all data fits in less.
  const data = new DataLoader<TrainBatch>(
    {
      length: trainIdx.length,
      batch(batch, g) {
        const x = new Float32Array(batch.length * per);
        fillBatch(x, trainPixels, size, batch, norm, augment, g);
        const y = Int32Array.from(batch, (j) => labels[trainIdx[j]!]!);
        return { input: tensor(x, { shape: [batch.length, 3, size, size] }), target: tensor(y), labels: y };
      },
    },
    { batchSize, shuffle: true, dropLast: true, generator: rng, weights: sampleWeights },
  );
  const onEpochEnd = async (s: EpochEnd): Promise<'stop' | void> => {
    const c0 = performance.now();
    const epoch = s.epoch;
    let metrics: Metrics | null = null;
    let valLoss = NaN;
    // Validation (and the best checkpoint) see the averaged weights when there are any.
    ema?.swapIn();
    let devMetrics: Metrics | null = null;
    if (dev) {
      // The dev set chooses the prior shift and the operating point; validation is then read through the same decision.
      const raw = await predictProbs(
        model,
        dev.loaded.pixels,
        size,
        dev.indices,
        norm,
        k,
        batchSize,
        viewsOf({ tta: o.tta }),
      );
      if (!raw.every(Number.isFinite)) diverged(epoch, 'the dev-set outputs are not finite');
      const devLabels = Array.from(dev.loaded.labels);
      priorShift = { logOffsets: fitPriorShift(raw, devLabels, k), chosenOn: dev.description };
      const probs = applyPriorShift(raw, k, priorShift.logOffsets);
      operatingPoint = dev.bothKinds
        ? { ...chooseOperatingPoint(probs, devLabels, k, targetSensitivity), chosenOn: dev.description }
        : undefined;
      devMetrics = computeMetrics(probs, devLabels, names, { operatingPoint });
    }
    if (valIdx.length > 0) {
      const raw = await predictProbs(model, loaded.pixels, size, valIdx, norm, k, batchSize, viewsOf({ tta: o.tta }));
      if (!raw.every(Number.isFinite)) diverged(epoch, 'the validation outputs are not finite');
      const probs = applyPriorShift(raw, k, priorShift?.logOffsets);
      const valLabels = valIdx.map((i) => labels[i]!);
      // Without a dev set the operating point is the validation set's: it travels with this epoch's weights.
      if (!dev)
        operatingPoint =
          valLabels.some((l) => l === 0) && valLabels.some((l) => l !== 0)
            ? chooseOperatingPoint(probs, valLabels, k, targetSensitivity)
            : undefined;
      metrics = computeMetrics(probs, valLabels, names, { operatingPoint });
      valLoss = meanLossFromProbs(probs, valLabels, k);
    }
    const entry: EpochLog = {
      epoch,
      trainLoss: s.trainLoss,
      trainAccuracy: s.trainAccuracy,
      valLoss,
      valAccuracy: metrics?.accuracy ?? NaN,
      valMacroF1: metrics?.macroF1 ?? NaN,
      ...(devMetrics ? { dev: headline(devMetrics) } : {}),
      lr: sched.getLastLr(),
      seconds: s.seconds + (performance.now() - c0) / 1000,
      imagesPerSecond: s.imagesPerSecond,
    };
    history.push(entry);
    const score = devMetrics ? devMetrics.macroF1 : metrics ? metrics.macroF1 : -entry.trainLoss;
    const improved = score > best.score;
    if (improved) best = { epoch, score };
    const summary = {
      train: { loss: entry.trainLoss, accuracy: entry.trainAccuracy },
      validation: metrics,
      ...(devMetrics ? { dev: devMetrics } : {}),
    };
    try {
      if (improved) await saveCheckpoint(bestBase, model, info(epoch, summary));
      ema?.swapOut();
      // `last` resumes exactly: the trained weights, the optimizer state and the averages.
      const state = opt.stateDict();
      if (ema) ema.stateDict().averages.forEach((t, i) => (state.tensors[`ema.${i}`] = t));
      await saveCheckpoint(lastBase, model, info(epoch, summary), state);
    } catch (e) {
      if (e instanceof NonFiniteWeightsError) diverged(epoch, e.message);
      throw e;
    }
    log(
      `epoch ${epoch}/${epochs}  loss ${entry.trainLoss.toFixed(4)}  acc ${(100 * entry.trainAccuracy).toFixed(1)}%  ` +
        `val loss ${valLoss.toFixed(4)}  val acc ${(100 * entry.valAccuracy).toFixed(1)}%  val macro-F1 ${(100 * entry.valMacroF1).toFixed(1)}%  ` +
        (entry.dev
          ? `dev acc ${(100 * entry.dev.accuracy).toFixed(1)}%  dev macro-F1 ${(100 * entry.dev.macroF1).toFixed(1)}%  dev normal recall ${(100 * entry.dev.normalRecall).toFixed(1)}%  dev spec@op ${(100 * entry.dev.specificity).toFixed(1)}%  `
          : '') +
        `lr ${entry.lr.toExponential(2)}  ${entry.imagesPerSecond.toFixed(1)} img/s  ${entry.seconds.toFixed(1)} s${improved ? '  (best)' : ''}`,
    );
    if (o.stopAfterEpoch !== undefined && epoch >= o.stopAfterEpoch) return 'stop';
    if (epoch - best.epoch >= patience) {
      log(
        `early stop: no better ${dev ? 'dev-set' : 'validation'} macro-F1 for ${patience} epochs (best: epoch ${best.epoch})`,
      );
      stoppedEarly = true;
      return 'stop';
    }
  };
  try {
    await fitModel<TrainBatch>({
      model,
      optimizer: opt,
      data,
      epochs,
      startEpoch,
      scheduler: sched,
      ema,
      maxBatches: o.maxBatches,
      loss: (logits, b) =>
        smoothing > 0
          ? smoothedLoss(logits, b.target, classWeight, k, smoothing)
          : crossEntropy(logits, b.target, { weight: classWeight }),
      correct: async (logits, b) => {
        const head = noGrad(() => narrow(logits, 1, 0, k));
        const lv = await head.data();
        head.dispose();
        let right = 0;
        for (let i = 0; i < b.labels.length; i++) if (argmaxRow(lv, i, k) === b.labels[i]) right++;
        return right;
      },
      callbacks: [{ onBatchEnd: (p) => ev.progress?.(p) }, { onEpochEnd }],
    });
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      ema?.dispose();
      model.dispose();
      opt.dispose();
      classWeight?.dispose();
      throw new Error(`training stopped: ${e.message}; ${lastGood()} (try a lower --lr)`);
    }
    throw e;
  }
  ema?.dispose();
  model.dispose();
  opt.dispose();
  classWeight?.dispose();
  return {
    history,
    best: { ...best, path: `${checkpointBase(bestBase)}.safetensors` },
    last: `${lastBase}.safetensors`,
    stoppedEarly,
    skipped,
    counts: { train: trainIdx.length, val: valIdx.length, dev: dev?.indices.length ?? 0 },
  };
}
