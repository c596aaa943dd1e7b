import type { Module } from '@pneumo/nn';
import { loadCheckpointWeights, readCheckpointInfo, type CheckpointInfo } from './checkpoint.js';
import { preprocess } from './data/image.js';
import { discover, type ImageRecord, type Skipped, type SplitName } from './data/layout.js';
import { runSplit } from './data/run-split.js';
import { datasetIdentity } from './data/identity.js';
import { loadImages } from './data/load.js';
import { readImageFile } from './data/read-image.js';
import { checkpointProbs } from './infer.js';
import { devRecords } from './data/dev-set.js';
import { type StressReport, stressTest } from './stress.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { emptyModel } from './checkpoint-format.js';
import { argmaxRow, pneumoniaScore } from './uncertainty.js';

/** A trained model (one network, or an ensemble of them) and its checkpoint description. */
export function loadModel(weights: string): { model: Module; info: CheckpointInfo } {
  const info = readCheckpointInfo(weights);
  const model = emptyModel(info);
  loadCheckpointWeights(weights, model);
  model.eval();
  return { model, info };
}

/** The images of a split of `data` for a checkpoint: test, val or train as the folders say, or its run's held-out patients. */
export function splitRecords(
  info: CheckpointInfo,
  data: string,
  split: SplitName | 'holdout',
  weights: string,
): { records: ImageRecord[]; skipped: Skipped[] } {
  return split === 'holdout' ? holdout(info, data, weights) : discover(data, info.mode, [split]);
}

/**
 * Metrics of a checkpoint on a split of `data`: test, val or train as the
 * folders say, or `holdout`: the patients its training run held out for
 * validation, recomputed from its seed and fraction (the run must have seen
 * the same files: their hash is checked when the checkpoint records it).
 * `tta` overrides the checkpoint's own choice of test-time augmentation.
 * `dev`: also the metrics on that dev set's test/ split (side by side in
 * the CLI); `stress`: also the stress report on the same images.
 */
export async function evaluate(
  weights: string,
  data: string,
  split: SplitName | 'holdout' = 'test',
  cacheDir?: string | null,
  o: {
    tta?: boolean;
    dev?: string;
    stress?: { seed?: number; onProgress?: (done: number, total: number, name: string) => void };
  } = {},
): Promise<{ metrics: Metrics; dev?: Metrics; stress?: StressReport; skipped: Skipped[]; info: CheckpointInfo }> {
  const { model, info } = loadModel(weights);
  try {
    const metricsOn = async (records: ImageRecord[]) => {
      const loaded = loadImages(records, { size: info.inputSize, fit: info.fit, contrast: info.contrast, cacheDir });
      const probs = await checkpointProbs(
        model,
        info,
        loaded.pixels,
        loaded.records.map((_, i) => i),
        { tta: o.tta },
      );
      return {
        metrics: computeMetrics(probs, loaded.labels, info.classes, {
          operatingPoint: info.operatingPoint,
          intervals: true,
        }),
        skipped: loaded.skipped,
      };
    };
    const found = splitRecords(info, data, split, weights);
    if (found.records.length === 0) throw new Error(`${data} has no images in its ${split} split`);
    const main = await metricsOn(found.records);
    const skipped = [...found.skipped, ...main.skipped];
    let dev: Metrics | undefined;
    if (o.dev) {
      const d = devRecords(o.dev, info.mode);
      const r = await metricsOn(d.records);
      dev = r.metrics;
      skipped.push(...d.skipped, ...r.skipped);
    }
    const stress = o.stress ? await stressTest(model, info, found.records, o.stress) : undefined;
    return { metrics: main.metrics, dev, stress, skipped, info };
  } finally {
    model.dispose();
  }
}

function holdout(info: CheckpointInfo, data: string, weights: string): { records: ImageRecord[]; skipped: Skipped[] } {
  const seed = Number(info.options?.splitSeed ?? info.options?.seed);
  const fraction = Number(info.options?.valFraction);
  if (!Number.isInteger(seed) || !(fraction >= 0 && fraction < 1))
    throw new Error(
      `${weights} does not record the seed and validation fraction of its run, so its held-out patients are unknown`,
    );
  const s = runSplit(data, info.mode, seed, fraction);
  const want = info.trainedOn?.filesSha256;
  if (want && datasetIdentity(s.root, [...s.train, ...s.val]).filesSha256 !== want) {
    throw new Error(
      `${s.root} is not the data ${weights} was trained on (its file list differs), so its held-out patients cannot be recomputed`,
    );
  }
  return { records: s.val, skipped: s.skipped };
}

export interface Prediction {
  path: string;
  /** The most probable class. */
  class: string | null;
  probabilities: Record<string, number>;
  /** Pneumonia vs normal at the checkpoint's operating point (absent when it has none). */
  pneumonia?: { score: number; threshold: number; positive: boolean };
  error?: string;
}

/** Class and probabilities for each image file (unreadable files get an error instead). */
export async function predict(weights: string, paths: string[]): Promise<Prediction[]> {
  const { model, info } = loadModel(weights);
  try {
    const size = info.inputSize;
    const pixels = new Float32Array(paths.length * size * size);
    const ok: number[] = [];
    const out: Prediction[] = paths.map((path) => ({ path, class: null, probabilities: {} }));
    paths.forEach((path, i) => {
      try {
        pixels.set(preprocess(readImageFile(path), size, info.fit, info.contrast).data, ok.length * size * size);
        ok.push(i);
      } catch (e) {
        out[i]!.error = (e as Error).message;
      }
    });
    const k = info.classes.length;
    const probs = await checkpointProbs(
      model,
      info,
      pixels,
      ok.map((_, j) => j),
    );
    ok.forEach((i, j) => {
      for (let c = 0; c < k; c++) out[i]!.probabilities[info.classes[c]!] = probs[j * k + c]!;
      out[i]!.class = info.classes[argmaxRow(probs, j, k)]!;
      const op = info.operatingPoint;
      if (op) {
        const score = pneumoniaScore(probs, j, k);
        out[i]!.pneumonia = { score, threshold: op.threshold, positive: score >= op.threshold };
      }
    });
    return out;
  } finally {
    model.dispose();
  }
}
