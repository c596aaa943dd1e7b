/**
 * A training run's data: the training folder's images split again by patient
 * (train and the official val pool together), decoded at the model's input
 * size, the optional dev set of other patients, and how the class imbalance
 * is corrected (class weights in the loss, or balanced sampling).
 */
import { tensor, type Tensor } from '@pneumo/nn';
import { type DevSet, loadDevSet } from './data/dev-set.js';
import { datasetIdentity } from './data/identity.js';
import type { ImageRecord, Skipped } from './data/layout.js';
import { loadImages, pixelStats } from './data/load.js';
import { runSplit } from './data/run-split.js';
import { SYNTHETIC_MARKER } from './data/synthetic.js';
import type { CheckpointInfo } from './checkpoint.js';
import type { TrainOptions } from './train.js';
import type { TrainSettings } from './train-settings.js';

export interface TrainingData {
  root: string;
  trainedOn: NonNullable<CheckpointInfo['trainedOn']>;
  loaded: ReturnType<typeof loadImages>;
  /** Labels of `loaded`'s records. */
  labels: Int32Array;
  /** Indices into `loaded` of the training and validation images. */
  trainIdx: number[];
  valIdx: number[];
  /** The training images' pixels, contiguous (batches are cut from them). */
  trainPixels: Float32Array;
  /** The training pixels' mean and std (a resumed run uses its checkpoint's instead). */
  norm: { mean: number; std: number };
  dev: DevSet | null;
  skipped: Skipped[];
}

export function loadTrainingData(o: TrainOptions, s: TrainSettings, log: (line: string) => void): TrainingData {
  const found = runSplit(o.data, s.mode, s.splitSeed, s.valFraction);
  const present = new Set(found.records.map((r) => r.label));
  const missing = s.names.filter((_, c) => !present.has(c));
  if (missing.length > 0) {
    throw new Error(
      `${found.root} has no ${missing.join(' or ')} images in train/ and val/: every class needs examples to train on`,
    );
  }
  const records: ImageRecord[] = [...found.train, ...found.val];
  log(
    `data: ${found.root}: ${found.records.length} images (${found.train.length} train, ${found.val.length} validation, split by patient)`,
  );
  const trainedOn = datasetIdentity(found.root, records);
  if (trainedOn.kind === 'synthetic')
    log(`note: ${found.root} is a synthetic dataset (${SYNTHETIC_MARKER}); the checkpoints are labelled so`);
  const decode = { size: s.spec.inputSize, fit: s.fit, contrast: s.contrast, cacheDir: o.cacheDir };
  const loaded = loadImages(records, { ...decode, onProgress: (d, t) => d === t && log(`decoded ${t} images`) });
  const skipped = [...found.skipped, ...loaded.skipped];
  for (const x of skipped) log(`warning: skipped ${x.path}: ${x.reason}`);
  const valSet = new Set(found.val.map((r) => r.path));
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  loaded.records.forEach((r, i) => (valSet.has(r.path) ? valIdx : trainIdx).push(i));
  if (trainIdx.length === 0) throw new Error('no training images left after the validation split');
  const dev = o.selectOn ? loadDevSet(o.selectOn, s.mode, records, decode) : null;
  if (dev) {
    log(`selection on ${dev.root}: ${dev.loaded.records.length} images of other patients (never trained on)`);
    for (const x of dev.skipped) log(`warning: skipped ${x.path}: ${x.reason}`);
  }
  const plane = s.spec.inputSize * s.spec.inputSize;
  const trainPixels = new Float32Array(trainIdx.length * plane);
  trainIdx.forEach((idx, j) => trainPixels.set(loaded.pixels.subarray(idx * plane, (idx + 1) * plane), j * plane));
  return {
    root: found.root,
    trainedOn,
    loaded,
    labels: loaded.labels,
    trainIdx,
    valIdx,
    trainPixels,
    norm: pixelStats(trainPixels),
    dev,
    skipped,
  };
}

export interface ClassBalance {
  /** Inverse-frequency weights in the loss, on the device; null when not used. */
  classWeight: Tensor | null;
  useClassWeights: boolean;
  /** Per-training-image sampling weights for balanced sampling; undefined for a plain shuffle. */
  sampleWeights: number[] | undefined;
}

/**
 * The imbalance: inverse-frequency class weights in the loss, or balanced
 * sampling (not both by default: together they would correct twice).
 */
export function classBalance(o: TrainOptions, s: TrainSettings, d: TrainingData): ClassBalance {
  const counts = new Array<number>(s.spec.outputs).fill(0);
  for (const i of d.trainIdx) counts[d.labels[i]!]!++;
  const weights = counts.map((c, i) => (i >= s.k || c === 0 ? 1 : d.trainIdx.length / (s.k * c)));
  const useClassWeights = o.classWeights ?? s.sampling !== 'balanced';
  return {
    classWeight: useClassWeights ? tensor(Float32Array.from(weights)) : null,
    useClassWeights,
    sampleWeights: s.sampling === 'balanced' ? d.trainIdx.map((i) => 1 / counts[d.labels[i]!]!) : undefined,
  };
}
