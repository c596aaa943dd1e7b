import { argmaxRow, pneumoniaScore } from './uncertainty.js';
import { Generator, type Module, narrow, noGrad, tensor, tidy } from '@pneumo/nn';
import { applyPriorShift } from './prior-shift.js';
import type { CheckpointInfo } from './checkpoint-format.js';
import { fillBatch, type Normalization, TTA_VIEWS, type Warp } from './data/batches.js';
import { preprocess } from './data/image.js';

/**
 * Class probabilities [n, classes] for images `indices` of `pixels`. The
 * head may have more outputs than classes (the blog's 10): predictions read
 * the first `classes` logits and take their softmax. With `views` (e.g.
 * TTA_VIEWS: test-time augmentation), the mean of the probabilities over
 * those views of each image.
 */
export async function predictProbs(
  model: Module,
  pixels: Float32Array,
  size: number,
  indices: readonly number[],
  norm: Normalization,
  classes: number,
  batchSize = 32,
  views: readonly (Warp | null)[] = [null],
): Promise<Float32Array> {
  const wasTraining = model.training;
  model.eval();
  const out = new Float32Array(indices.length * classes);
  const v = views.length;
  const per = 3 * size * size;
  const buf = new Float32Array(batchSize * v * per);
  const g = new Generator(0);
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.slice(start, start + batchSize);
    // Every view of the batch goes through one forward pass and one readback.
    views.forEach((view, j) =>
      fillBatch(buf.subarray(j * batch.length * per), pixels, size, batch, norm, null, g, view),
    );
    const x = tensor(buf.subarray(0, v * batch.length * per), { shape: [v * batch.length, 3, size, size] });
    const probs = noGrad(() =>
      tidy(() => {
        const logits = model.forward(x);
        return narrow(logits, 1, 0, classes).softmax();
      }),
    );
    const p = await probs.data();
    probs.dispose();
    x.dispose();
    // p is [view][image][class]: the mean over views, image by image.
    const n = batch.length * classes;
    for (let j = 0; j < v; j++) for (let i = 0; i < n; i++) out[start * classes + i]! += p[j * n + i]! / v;
  }
  model.train(wasTraining);
  return out;
}

/** What classifying an image needs of a checkpoint's description. */
export type ClassifyInfo = Pick<
  CheckpointInfo,
  'inputSize' | 'fit' | 'contrast' | 'tta' | 'normalization' | 'classes' | 'operatingPoint' | 'priorShift'
>;

/** The views a checkpoint's predictions average over. */
export const viewsOf = (info: Pick<CheckpointInfo, 'tta'>): readonly (Warp | null)[] => (info.tta ? TTA_VIEWS : [null]);

/**
 * A checkpoint's class probabilities for preprocessed images: its views
 * (test-time augmentation when it records it), then its class-prior shift
 * (when it records one). Every prediction of the app goes through here.
 */
export async function checkpointProbs(
  model: Module,
  info: ClassifyInfo,
  pixels: Float32Array,
  indices: readonly number[],
  o: { tta?: boolean; batchSize?: number } = {},
): Promise<Float32Array> {
  const k = info.classes.length;
  const raw = await predictProbs(
    model,
    pixels,
    info.inputSize,
    indices,
    info.normalization,
    k,
    o.batchSize ?? 32,
    viewsOf({ tta: o.tta ?? info.tta }),
  );
  return applyPriorShift(raw, k, info.priorShift?.logOffsets);
}

/** The predicted class and the class probabilities of one image file's bytes (JPEG or PNG). */
export async function classifyImage(
  model: Module,
  info: ClassifyInfo,
  bytes: Uint8Array,
): Promise<{
  class: string;
  probabilities: Record<string, number>;
  pneumonia?: { score: number; threshold: number; positive: boolean };
}> {
  const img = preprocess(bytes, info.inputSize, info.fit, info.contrast);
  const k = info.classes.length;
  const probs = await checkpointProbs(model, info, img.data, [0], { batchSize: 1 });
  const op = info.operatingPoint;
  const score = pneumoniaScore(probs, 0, k);
  return {
    class: info.classes[argmaxRow(probs, 0, k)]!,
    probabilities: Object.fromEntries(info.classes.map((c, i) => [c, probs[i]!])),
    ...(op ? { pneumonia: { score, threshold: op.threshold, positive: score >= op.threshold } } : {}),
  };
}
