/**
 * Grad-CAM on a network's last convolutional activations (the blog CNN's
 * last convolution after its ReLU; the ResNet's last stage): the gradient of
 * the class score with respect to those activations, averaged over
 * space, weights the activation maps; their ReLU'd sum, upsampled to the
 * X-ray, shows where the network looked. Pure computation: `pneumo explain`
 * writes it as a PNG, the browser app draws it on a canvas.
 */
import { Conv2d, Generator, type Module, noGrad, ResNet, Sequential, type Tensor, tensor, tidy } from '@pneumo/nn';
import { membersOf } from './ensemble.js';
import { checkpointProbs } from './infer.js';
import { argmaxRow } from './uncertainty.js';
import type { CheckpointInfo } from './checkpoint-format.js';
import { fillBatch } from './data/batches.js';
import { decodeGrey, type GreyImage, resizeArea, squareImage } from './data/image.js';

export interface Explanation {
  class: string;
  probabilities: Record<string, number>;
  /** The class-activation map at the last conv layer's resolution, in [0, 1]. */
  cam: Float32Array;
  camSize: number;
}

/** What Grad-CAM needs of a checkpoint's description. */
export type ExplainInfo = Pick<
  CheckpointInfo,
  'inputSize' | 'fit' | 'contrast' | 'normalization' | 'classes' | 'priorShift'
>;

/**
 * Grad-CAM of `model` for one image (for `target` class, default the
 * predicted one). For an ensemble: each member's map for that class,
 * normalized, then averaged.
 */
export async function gradCamOf(
  model: Module,
  info: ExplainInfo,
  imageBytes: Uint8Array,
  target?: string,
): Promise<Explanation & { image: GreyImage }> {
  const size = info.inputSize;
  const original = squareImage(decodeGrey(imageBytes), info.fit, info.contrast);
  const small = resizeArea(original, size, size);
  const k = info.classes.length;
  // The prediction is the checkpoint's (prior shift included); Grad-CAM explains one class of it.
  const probs = await checkpointProbs(model, { ...info, tta: false }, small.data, [0], { batchSize: 1 });
  let cls = argmaxRow(probs, 0, k);
  if (target !== undefined) {
    cls = info.classes.indexOf(target.toUpperCase());
    if (cls < 0) throw new Error(`explain: unknown class '${target}' (classes: ${info.classes.join(', ')})`);
  }
  const input = new Float32Array(3 * size * size);
  fillBatch(input, small.data, size, [0], info.normalization, null, new Generator(0));
  const members = membersOf(model);
  let cam: Float32Array | null = null;
  let camSize = 0;
  for (const m of members) {
    const one = await memberCam(m, camSplit(m), input, size, cls);
    if (!cam) cam = new Float32Array(one.cam.length);
    for (let i = 0; i < cam.length; i++) cam[i]! += one.cam[i]! / members.length;
    camSize = one.camSize;
  }
  return {
    class: info.classes[cls]!,
    probabilities: Object.fromEntries(info.classes.map((c, i) => [c, probs[i]!])),
    cam: cam!,
    camSize,
    image: original,
  };
}

/** A network cut where Grad-CAM looks: the activations there, and the logits from them. */
interface CamSplit {
  toActivations(x: Tensor): Tensor;
  fromActivations(a: Tensor): Tensor;
}

/** Where each architecture is explained: the blog CNN after its last convolution's ReLU, the ResNet after its last stage. */
function camSplit(model: Module): CamSplit {
  if (model instanceof ResNet)
    return { toActivations: (x) => model.features(x), fromActivations: (a) => model.head(a) };
  if (!(model instanceof Sequential))
    throw new Error(`explain: Grad-CAM takes the blog CNN or a ResNet, not a ${model.constructor.name}`);
  const layers = model.layers;
  let cut = -1;
  layers.forEach((l, i) => {
    if (l instanceof Conv2d) cut = i + 1;
  });
  if (cut < 0) throw new Error('explain: the model has no convolution');
  const run = (h: Tensor, from: number, to: number) => {
    for (let i = from; i < to; i++) h = layers[i]!.forward(h);
    return h;
  };
  return { toActivations: (x) => run(x, 0, cut + 1), fromActivations: (a) => run(a, cut + 1, layers.length) };
}

/** One network's Grad-CAM for class `cls` at its split, scaled to [0, 1]. */
async function memberCam(
  model: Module,
  split: CamSplit,
  input: Float32Array,
  size: number,
  cls: number,
): Promise<{ cam: Float32Array; camSize: number }> {
  const wasTraining = model.training;
  model.eval();
  const x = tensor(input, { shape: [1, 3, size, size] });
  // Forward to the cut without gradients, then from a leaf at the cut.
  const acts = noGrad(() => tidy(() => split.toActivations(x)));
  acts.requiresGrad = true;
  const logits = tidy(() => split.fromActivations(acts));
  const onehot = new Float32Array(logits.shape[1]!);
  onehot[cls] = 1;
  const g = tensor(onehot, { shape: logits.shape });
  logits.backward(g);
  const [, channels, h, w] = acts.shape as [number, number, number, number];
  const a = await acts.data();
  const grad = await acts.grad!.data();
  const cam = new Float32Array(h * w);
  for (let c = 0; c < channels; c++) {
    let alpha = 0;
    for (let i = 0; i < h * w; i++) alpha += grad[c * h * w + i]!;
    alpha /= h * w;
    for (let i = 0; i < h * w; i++) cam[i]! += alpha * a[c * h * w + i]!;
  }
  let max = 0;
  for (let i = 0; i < cam.length; i++) max = Math.max(max, (cam[i] = Math.max(0, cam[i]!)));
  if (max > 0) for (let i = 0; i < cam.length; i++) cam[i]! /= max;
  for (const t of [x, acts, logits, g]) t.dispose();
  model.train(wasTraining);
  return { cam, camSize: h };
}

/** A jet-like colour for t in [0, 1]. */
function heat(t: number): [number, number, number] {
  const r = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 3)));
  const g = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 2)));
  const b = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 1)));
  return [r, g, b];
}

/** The X-ray with the class-activation map, bilinearly upsampled, blended over it: RGBA bytes (canvas ImageData, PNG). */
export function overlayRgba(
  image: GreyImage,
  cam: Float32Array,
  camSize: number,
  alpha = 0.45,
): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const cx = Math.min(camSize - 1, Math.max(0, ((x + 0.5) / image.width) * camSize - 0.5));
      const cy = Math.min(camSize - 1, Math.max(0, ((y + 0.5) / image.height) * camSize - 0.5));
      const x0 = Math.floor(cx);
      const y0 = Math.floor(cy);
      const x1 = Math.min(camSize - 1, x0 + 1);
      const y1 = Math.min(camSize - 1, y0 + 1);
      const fx = cx - x0;
      const fy = cy - y0;
      const v =
        (cam[y0 * camSize + x0]! * (1 - fx) + cam[y0 * camSize + x1]! * fx) * (1 - fy) +
        (cam[y1 * camSize + x0]! * (1 - fx) + cam[y1 * camSize + x1]! * fx) * fy;
      const grey = image.data[y * image.width + x]!;
      const [r, g, b] = heat(v);
      const k = alpha * v;
      const o = 4 * (y * image.width + x);
      rgba[o] = Math.round(255 * ((1 - k) * grey + k * r));
      rgba[o + 1] = Math.round(255 * ((1 - k) * grey + k * g));
      rgba[o + 2] = Math.round(255 * ((1 - k) * grey + k * b));
      rgba[o + 3] = 255;
    }
  }
  return rgba;
}
