/** `pneumo explain`: Grad-CAM (gradcam.ts) of an image file, written as a PNG overlay. */
import { writeFileAtomic } from '@pneumo/nn/node';
import { PNG } from 'pngjs';
import { readImageFile } from './data/read-image.js';
import type { GreyImage } from './data/image.js';
import { loadModel } from './evaluate.js';
import { type Explanation, gradCamOf, overlayRgba } from './gradcam.js';

export type { Explanation };

/** Grad-CAM for one image with a checkpoint's model (for `target` class, default the predicted one). */
export async function gradCam(
  weights: string,
  imageBytes: Uint8Array,
  target?: string,
): Promise<Explanation & { image: GreyImage }> {
  const { model, info } = loadModel(weights);
  try {
    return await gradCamOf(model, info, imageBytes, target);
  } finally {
    model.dispose();
  }
}

/** The overlay (see overlayRgba) as PNG bytes. */
export function overlayPng(image: GreyImage, cam: Float32Array, camSize: number, alpha = 0.45): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  png.data.set(overlayRgba(image, cam, camSize, alpha));
  return new Uint8Array(PNG.sync.write(png));
}

/** `pneumo explain`: Grad-CAM of one image, written to `out` as a PNG. */
export async function explainToFile(
  weights: string,
  imagePath: string,
  out: string,
  target?: string,
): Promise<Explanation> {
  let bytes: Uint8Array;
  try {
    bytes = readImageFile(imagePath);
  } catch (e) {
    throw new Error(`${imagePath}: ${(e as Error).message}`);
  }
  const e = await gradCam(weights, bytes, target);
  writeFileAtomic(out, overlayPng(e.image, e.cam, e.camSize));
  return e;
}
