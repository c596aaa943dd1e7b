/**
 * A synthetic chest X-ray dataset in the Kaggle layout, so the main job and
 * the tests need no download: lung fields, ribs, spine and mediastinum;
 * bacterial pneumonia as a dense lobar consolidation in one lung, viral as a
 * diffuse bilateral interstitial pattern; random size, position, contrast
 * and noise. Written as JPEG (and some PNG) with Kaggle-style names.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator } from '@pneumo/nn';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { GreyImage } from './image.js';
import { renderXray } from './xray-render.js';

export { renderXray, type SyntheticClass } from './xray-render.js';

export function encodeJpeg(img: GreyImage, quality = 90): Uint8Array {
  const rgba = Buffer.alloc(img.width * img.height * 4);
  for (let i = 0; i < img.data.length; i++) {
    const v = Math.round(img.data[i]! * 255);
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data: rgba, width: img.width, height: img.height }, quality).data);
}

export function encodePng(img: GreyImage, bitDepth: 8 | 16 = 8): Uint8Array {
  const png = new PNG({
    width: img.width,
    height: img.height,
    colorType: 0,
    inputColorType: 0,
    bitDepth,
    inputHasAlpha: false,
  });
  const max = bitDepth === 16 ? 65535 : 255;
  const data = bitDepth === 16 ? Buffer.alloc(img.data.length * 2) : Buffer.alloc(img.data.length);
  for (let i = 0; i < img.data.length; i++) {
    const v = Math.round(img.data[i]! * max);
    // pngjs reads 16-bit input as a platform-endian (little) Uint16Array.
    if (bitDepth === 16) data.writeUInt16LE(v, 2 * i);
    else data[i] = v;
  }
  png.data = data;
  return new Uint8Array(PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth, inputHasAlpha: false }));
}

export interface SyntheticOptions {
  /** Images per class and split. */
  perClass?: { train: number; val: number; test: number };
  seed?: number;
  /** Side lengths are drawn from this range (non-square images too). */
  sizeRange?: [number, number];
  /** Fraction of images written as PNG instead of JPEG. */
  pngFraction?: number;
}

/**
 * Writes a synthetic dataset under `root` in the Kaggle layout:
 * root/{train,val,test}/{NORMAL,PNEUMONIA}/ with names like IM-0001-0001.jpeg,
 * NORMAL2-IM-0002-0001.jpeg, person3_bacteria_7.jpeg, person4_virus_9.png.
 * Patients have 1 to 3 images each. Returns the number of files written.
 */
/** The file that marks a dataset as synthetic: a model trained on it is labelled so, and predict warns. */
export const SYNTHETIC_MARKER = 'SYNTHETIC.txt';

export function markSynthetic(root: string): void {
  mkdirSync(root, { recursive: true });
  writeFileSync(
    join(root, SYNTHETIC_MARKER),
    'Synthetic X-ray-like images made by `pneumo synth`: for tests and demos only. A model trained on them knows nothing about real chest X-rays.\n',
  );
}

export function writeSyntheticDataset(root: string, o: SyntheticOptions = {}): number {
  markSynthetic(root);
  const per = o.perClass ?? { train: 200, val: 20, test: 60 };
  const g = new Generator(o.seed ?? 7);
  const [lo, hi] = o.sizeRange ?? [72, 128];
  let written = 0;
  let patient = 1;
  let imageNo = 1;
  for (const split of ['train', 'val', 'test'] as const) {
    for (const cls of [0, 1, 2] as const) {
      const dir = join(root, split, cls === 0 ? 'NORMAL' : 'PNEUMONIA');
      mkdirSync(dir, { recursive: true });
      let left = per[split];
      while (left > 0) {
        const images = Math.min(left, 1 + g.int(3));
        const id = patient++;
        for (let k = 1; k <= images; k++) {
          const w = lo + g.int(hi - lo + 1);
          const h = g.uniform() < 0.7 ? w : lo + g.int(hi - lo + 1);
          const img = renderXray(cls, g, w, h);
          const png = g.uniform() < (o.pngFraction ?? 0.15);
          const ext = png ? 'png' : 'jpeg';
          const name =
            cls === 0
              ? `${g.uniform() < 0.3 ? 'NORMAL2-' : ''}IM-${String(id).padStart(4, '0')}-${String(k).padStart(4, '0')}.${ext}`
              : `person${id}_${cls === 1 ? 'bacteria' : 'virus'}_${imageNo++}.${ext}`;
          writeFileSync(join(dir, name), png ? encodePng(img) : encodeJpeg(img, 80 + g.int(16)));
          written++;
        }
        left -= images;
      }
    }
  }
  return written;
}
