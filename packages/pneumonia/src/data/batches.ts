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
  /** Max |log gamma| of a gamma curve v^gamma (another exposure response; absent: none). */
  gamma?: number;
  /** Max standard deviation of added Gaussian pixel noise (absent: none). */
  noise?: number;
}

export const DEFAULT_AUGMENT: Augment = { rotate: 7, translate: 0.06, scale: 0.08, brightness: 0.08, contrast: 0.15 };

/** Named augmentation strengths (the CLI's --augment). */
export const AUGMENTS = {
  none: null,
  light: { rotate: 4, translate: 0.03, scale: 0.04, brightness: 0.04, contrast: 0.08 },
  default: DEFAULT_AUGMENT,
  strong: { rotate: 12, translate: 0.1, scale: 0.15, brightness: 0.15, contrast: 0.3 },
  // What another site's machine changes: exposure response (gamma), contrast, brightness, noise; geometry as default.
  acquisition: { rotate: 7, translate: 0.06, scale: 0.08, brightness: 0.1, contrast: 0.3, gamma: 0.4, noise: 0.03 },
} as const satisfies Record<string, Augment | null>;
export type AugmentStrength = keyof typeof AUGMENTS;

/** How training images are drawn: 'shuffle' (each once per epoch) or 'balanced' (the classes equally often, with replacement). */
export type Sampling = 'shuffle' | 'balanced';
export const SAMPLINGS: readonly Sampling[] = ['shuffle', 'balanced'];

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
  const at = (xx: number, yy: number) =>
    xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : img[off + yy * size + xx]!;
  return (
    (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
    (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
  );
}

/**
 * One geometric and photometric change of an image: rotation (radians)
 * and scale about the centre, translation (pixels), then a brightness shift
 * and a contrast factor about mid-grey.
 */
export interface Warp {
  angle: number;
  scale: number;
  tx: number;
  ty: number;
  brightness: number;
  contrast: number;
  /** Gamma curve applied first (absent: 1). */
  gamma?: number;
  /** Standard deviation of Gaussian noise added last (absent: 0). */
  noise?: number;
}

export const IDENTITY_WARP: Warp = { angle: 0, scale: 1, tx: 0, ty: 0, brightness: 0, contrast: 1 };

/** A random warp within the ranges of `augment`, for an image of side `size`. */
export function randomWarp(augment: Augment, size: number, g: Generator): Warp {
  const u = () => 2 * g.uniform() - 1;
  // The draw order is part of reproducibility: keep it.
  const angle = (u() * augment.rotate * Math.PI) / 180;
  const scale = 1 + u() * augment.scale;
  const tx = u() * augment.translate * size;
  const ty = u() * augment.translate * size;
  const brightness = u() * augment.brightness;
  const contrast = 1 + u() * augment.contrast;
  const w: Warp = { angle, scale, tx, ty, brightness, contrast };
  // Drawn only when asked for, so the strengths without them reproduce as before.
  if (augment.gamma) w.gamma = Math.exp(u() * augment.gamma);
  if (augment.noise) w.noise = g.uniform() * augment.noise;
  return w;
}

/**
 * The fixed views test-time augmentation averages over: the image itself,
 * shifted by a pixel and a half each way, and zoomed 5% in and out (well
 * inside the default training augmentation, so every view is one the model
 * has learned to read; no flips: a chest X-ray is not symmetric).
 */
export const TTA_VIEWS: readonly Warp[] = [
  IDENTITY_WARP,
  ...[
    [1.5, 0],
    [-1.5, 0],
    [0, 1.5],
    [0, -1.5],
  ].map(([tx, ty]) => ({ ...IDENTITY_WARP, tx: tx!, ty: ty! })),
  { ...IDENTITY_WARP, scale: 1.05 },
  { ...IDENTITY_WARP, scale: 0.95 },
];

/** Writes image `off` of `pixels`, warped and normalized, into the 3 channels of `out` at `base`. */
function writeWarped(
  out: Float32Array,
  base: number,
  pixels: Float32Array,
  off: number,
  size: number,
  norm: Normalization,
  w: Warp,
  g: Generator,
): void {
  const px = size * size;
  const gamma = w.gamma ?? 1;
  const noise = w.noise ?? 0;
  const c = (size - 1) / 2;
  const cos = Math.cos(w.angle) / w.scale;
  const sin = Math.sin(w.angle) / w.scale;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Inverse map: where in the source this output pixel comes from.
      const dx = x - c - w.tx;
      const dy = y - c - w.ty;
      let v0 = sample(pixels, off, size, cos * dx + sin * dy + c, -sin * dx + cos * dy + c);
      if (gamma !== 1) v0 = Math.max(0, v0) ** gamma;
      if (noise > 0) v0 += noise * g.normal();
      const v = ((v0 - 0.5) * w.contrast + 0.5 + w.brightness - norm.mean) / norm.std;
      const i = y * size + x;
      out[base + i] = out[base + px + i] = out[base + 2 * px + i] = v;
    }
  }
}

/**
 * Fills `out` ([indices.length, 3, size, size]) from images `indices` of
 * `pixels`: each with a random warp when `augment` is given, else with
 * `view` (default: none, the image as it is).
 */
export function fillBatch(
  out: Float32Array,
  pixels: Float32Array,
  size: number,
  indices: readonly number[],
  norm: Normalization,
  augment: Augment | null,
  g: Generator,
  view: Warp | null = null,
): void {
  const px = size * size;
  indices.forEach((idx, b) => {
    const off = idx * px;
    const base = b * 3 * px;
    const warp = augment ? randomWarp(augment, size, g) : view;
    if (warp) {
      writeWarped(out, base, pixels, off, size, norm, warp, g);
      return;
    }
    for (let i = 0; i < px; i++) {
      const v = (pixels[off + i]! - norm.mean) / norm.std;
      out[base + i] = out[base + px + i] = out[base + 2 * px + i] = v;
    }
  });
}
