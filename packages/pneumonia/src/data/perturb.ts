/**
 * What another site's acquisition does to an X-ray, at full resolution,
 * before the app's own preprocessing: exposure response (gamma), contrast,
 * blur and sharpening (detector and processing), sensor noise, JPEG
 * re-encoding, another field of view (zoom), a tilted patient (rotation).
 * The stress report (stress.ts) runs a model on its images so changed.
 * Blur widths are in pixels of a 224-pixel side and scale with the image.
 */
import { Generator } from '@pneumo/nn';
import { decodeGrey, type GreyImage } from './image.js';
import { encodeJpeg } from './synthetic.js';

export interface Perturbation {
  /** e.g. 'gamma 0.7' */
  name: string;
  /** e.g. 'gamma': perturbations of one family differ in strength. */
  family: string;
  /** The image changed (a new image); `g` draws what is random (noise, a rotation's sign). */
  apply: (img: GreyImage, g: Generator) => GreyImage;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const map = (img: GreyImage, f: (v: number, i: number) => number): GreyImage => ({
  width: img.width,
  height: img.height,
  data: img.data.map(f),
});

function mean(img: GreyImage): number {
  let s = 0;
  for (const v of img.data) s += v;
  return s / Math.max(1, img.data.length);
}

/** Separable Gaussian blur, edges clamped. */
export function gaussianBlur(img: GreyImage, sigma: number): GreyImage {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const k = kernel.map((v) => v / total);
  const { width: w, height: h } = img;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) s += k[j + r]! * img.data[y * w + Math.min(w - 1, Math.max(0, x + j))]!;
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) s += k[j + r]! * tmp[Math.min(h - 1, Math.max(0, y + j)) * w + x]!;
      out[y * w + x] = s;
    }
  }
  return { width: w, height: h, data: out };
}

/** Bilinear resampling through an inverse map (output pixel -> source point); outside the image is black. */
function resample(img: GreyImage, inverse: (x: number, y: number) => [number, number]): GreyImage {
  const { width: w, height: h, data } = img;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : data[y * w + x]!);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [sx, sy] = inverse(x, y);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      out[y * w + x] =
        (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
        (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
    }
  }
  return { width: w, height: h, data: out };
}

/** Zoom about the centre by `factor` (> 1: a tighter field of view, the border cropped; < 1: a wider one, black around). */
export function zoom(img: GreyImage, factor: number): GreyImage {
  const cx = (img.width - 1) / 2;
  const cy = (img.height - 1) / 2;
  return resample(img, (x, y) => [cx + (x - cx) / factor, cy + (y - cy) / factor]);
}

/** Rotation about the centre by `degrees` (clockwise on screen, y pointing down). */
export function rotate(img: GreyImage, degrees: number): GreyImage {
  const a = (degrees * Math.PI) / 180;
  const cx = (img.width - 1) / 2;
  const cy = (img.height - 1) / 2;
  const c = Math.cos(a);
  const s = Math.sin(a);
  return resample(img, (x, y) => [c * (x - cx) + s * (y - cy) + cx, -s * (x - cx) + c * (y - cy) + cy]);
}

const scaleSigma = (img: GreyImage, sigma224: number) => (sigma224 * Math.max(img.width, img.height)) / 224;

/** The stress report's perturbations: 8 families, 2 strengths each (mild, then severe). */
export const PERTURBATIONS: readonly Perturbation[] = [
  ...[0.7, 1.5].map((gamma) => ({
    name: `gamma ${gamma}`,
    family: 'gamma',
    apply: (img: GreyImage) => map(img, (v) => clamp01(v) ** gamma),
  })),
  ...[0.7, 1.4].map((f) => ({
    name: `contrast x${f}`,
    family: 'contrast',
    apply: (img: GreyImage) => {
      const m = mean(img);
      return map(img, (v) => clamp01((v - m) * f + m));
    },
  })),
  ...[1, 2].map((sigma) => ({
    name: `blur sigma ${sigma}`,
    family: 'blur',
    apply: (img: GreyImage) => gaussianBlur(img, scaleSigma(img, sigma)),
  })),
  ...[1, 2].map((amount) => ({
    name: `sharpen x${amount}`,
    family: 'sharpen',
    apply: (img: GreyImage) => {
      const soft = gaussianBlur(img, scaleSigma(img, 1.5));
      return map(img, (v, i) => clamp01(v + amount * (v - soft.data[i]!)));
    },
  })),
  ...[0.02, 0.05].map((sd) => ({
    name: `noise sd ${sd}`,
    family: 'noise',
    apply: (img: GreyImage, g: Generator) => map(img, (v) => clamp01(v + sd * g.normal())),
  })),
  ...[30, 10].map((quality) => ({
    name: `jpeg q${quality}`,
    family: 'jpeg',
    apply: (img: GreyImage) => decodeGrey(encodeJpeg(img, quality)),
  })),
  ...[1.12, 0.88].map((f) => ({ name: `zoom x${f}`, family: 'zoom', apply: (img: GreyImage) => zoom(img, f) })),
  ...[5, 10].map((deg) => ({
    name: `rotate ${deg} deg`,
    family: 'rotate',
    apply: (img: GreyImage, g: Generator) => rotate(img, g.uniform() < 0.5 ? -deg : deg),
  })),
];

/** The generator for image `i` under perturbation `p` of a report seeded `seed`: every image and perturbation draws its own stream. */
export const perturbationGenerator = (seed: number, p: number, i: number) =>
  new Generator(seed * 1_000_003 + p * 10_007 + i);
