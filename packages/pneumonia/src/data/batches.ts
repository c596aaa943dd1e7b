/**
 * Network inputs from preprocessed grey images: optional augmentation
 * (small rotation, translation, scale; brightness and contrast jitter),
 * normalization with the train set's statistics, grey replicated to the
 * 3 input channels.
 */
import type { Generator } from '@pneumo/nn';

export interface Augment {
  /** Max rotation, degrees. */
  rotate: number;
  /** Max translation, fraction of the side. */
  translate: number;
  /** Max relative scale change. */
  scale: number;
  /** Max brightness shift (in [0, 1] pixel units). */
  brightness: number;
  /** Max relative contrast change. */
  contrast: number;
}

export const DEFAULT_AUGMENT: Augment = { rotate: 7, translate: 0.06, scale: 0.08, brightness: 0.08, contrast: 0.15 };

/** Named augmentation strengths (the CLI's --augment). */
export const AUGMENTS = {
  none: null,
  light: { rotate: 4, translate: 0.03, scale: 0.04, brightness: 0.04, contrast: 0.08 },
  default: DEFAULT_AUGMENT,
  strong: { rotate: 12, translate: 0.1, scale: 0.15, brightness: 0.15, contrast: 0.3 },
} as const satisfies Record<string, Augment | null>;
export type AugmentStrength = keyof typeof AUGMENTS;

export interface Normalization {
  mean: number;
  std: number;
}

/** Bilinear sample of a size x size image at (x, y); outside is 0 (black, like the film edge). */
function sample(img: Float32Array, off: number, size: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : img[off + yy * size + xx]!);
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/** Fills `out` ([indices.length, 3, size, size]) from images `indices` of `pixels`. */
export function fillBatch(
  out: Float32Array,
  pixels: Float32Array,
  size: number,
  indices: readonly number[],
  norm: Normalization,
  augment: Augment | null,
  g: Generator,
): void {
  const px = size * size;
  const c = (size - 1) / 2;
  indices.forEach((idx, b) => {
    const off = idx * px;
    const base = b * 3 * px;
    if (!augment) {
      for (let i = 0; i < px; i++) {
        const v = (pixels[off + i]! - norm.mean) / norm.std;
        out[base + i] = out[base + px + i] = out[base + 2 * px + i] = v;
      }
      return;
    }
    const u = () => 2 * g.uniform() - 1;
    const angle = (u() * augment.rotate * Math.PI) / 180;
    const s = 1 + u() * augment.scale;
    const tx = u() * augment.translate * size;
    const ty = u() * augment.translate * size;
    const bright = u() * augment.brightness;
    const contrast = 1 + u() * augment.contrast;
    const cos = Math.cos(angle) / s;
    const sin = Math.sin(angle) / s;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        // Inverse map: where in the source this output pixel comes from.
        const dx = x - c - tx;
        const dy = y - c - ty;
        const v0 = sample(pixels, off, size, cos * dx + sin * dy + c, -sin * dx + cos * dy + c);
        const v = ((v0 - 0.5) * contrast + 0.5 + bright - norm.mean) / norm.std;
        const i = y * size + x;
        out[base + i] = out[base + px + i] = out[base + 2 * px + i] = v;
      }
    }
  });
}
