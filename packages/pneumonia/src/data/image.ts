/**
 * Decoding X-ray files to grey float images, and resizing them with area
 * averaging. JPEG (baseline and progressive, 1 or 3 channels) through
 * jpeg-js; PNG (1-16 bit, grey / RGB / alpha / palette) through fast-png.
 * Both are plain JavaScript, so the browser app preprocesses an image to
 * exactly the same numbers as the Node pipeline.
 */
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';

/** A grey image with values in [0, 1], row-major. */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Images larger than this many pixels are refused (a corrupt header can claim anything). */
export const MAX_PIXELS = 64 * 1024 * 1024;

export function sniffFormat(bytes: Uint8Array): 'jpeg' | 'png' | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  return null;
}

/** Decodes JPEG or PNG bytes to grey; throws an Error saying why it cannot. */
export function decodeGrey(bytes: Uint8Array): GreyImage {
  if (bytes.length === 0) throw new Error('empty file');
  const format = sniffFormat(bytes);
  if (!format) throw new Error('not a JPEG or PNG image');
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    if (format === 'png') return decodePngGrey(bytes);
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    ({ width, height } = img);
    rgba = img.data;
  } catch (e) {
    const msg = (e as Error).message || String(e);
    // Our own size and truncation checks already say what is wrong.
    if (/^(unsupported image size|truncated)/.test(msg)) throw e;
    throw new Error(`corrupt or truncated ${format.toUpperCase()} (${msg})`);
  }
  if (width <= 0 || height <= 0 || width * height > MAX_PIXELS) throw new Error(`unsupported image size ${width}x${height}`);
  if (rgba.length < width * height * 4) throw new Error('truncated image data');
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = luma(rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!) / 255;
  return { width, height, data };
}

/** BT.601 luma; X-rays are grey, so the weights barely matter. */
const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

/** The size a PNG's header claims (IHDR follows the signature), read before anything is allocated. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24) throw new Error('truncated PNG header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function decodePngGrey(bytes: Uint8Array): GreyImage {
  const { width, height } = pngSize(bytes);
  if (width <= 0 || height <= 0 || width * height > MAX_PIXELS) throw new Error(`unsupported image size ${width}x${height}`);
  const png = decodePng(bytes);
  let { data: samples, channels, depth } = png;
  if (png.palette) {
    samples = convertIndexedToRgb(png);
    channels = png.palette[0]?.length ?? 3;
    depth = 8;
  } else if (depth < 8) {
    samples = unpackBits(samples as Uint8Array, width, height, channels, depth);
  }
  // Alpha (channel 2 of grey+alpha, 4 of RGBA) is ignored, as a viewer on black would not.
  const colour = channels >= 3;
  const max = 2 ** depth - 1;
  if (samples.length < width * height * channels) throw new Error('truncated image data');
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const o = i * channels;
    data[i] = (colour ? luma(samples[o]!, samples[o + 1]!, samples[o + 2]!) : samples[o]!) / max;
  }
  return { width, height, data };
}

/** 1, 2 or 4-bit samples, packed per row, to one sample per byte. */
function unpackBits(packed: Uint8Array, width: number, height: number, channels: number, depth: number): Uint8Array {
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const out = new Uint8Array(perRow * height);
  const mask = 2 ** depth - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = packed[y * rowBytes + (bit >> 3)] ?? 0;
      out[y * perRow + i] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/**
 * For each output index along one axis, the source indices it covers and
 * the fraction of each (an output pixel is the mean of the source area
 * under it, so downscaling is antialiased).
 */
function areaWeights(src: number, dst: number): { start: number; weights: number[] }[] {
  const scale = src / dst;
  const out: { start: number; weights: number[] }[] = [];
  for (let o = 0; o < dst; o++) {
    const a = o * scale;
    const b = a + scale;
    const start = Math.floor(a);
    const weights: number[] = [];
    for (let s = start; s < Math.min(src, Math.ceil(b)); s++) {
      const cover = Math.min(b, s + 1) - Math.max(a, s);
      weights.push(cover / scale);
    }
    out.push({ start, weights });
  }
  return out;
}

/** Area-averaging resize (also correct when enlarging: nearest-area). */
export function resizeArea(img: GreyImage, width: number, height: number): GreyImage {
  const wx = areaWeights(img.width, width);
  const wy = areaWeights(img.height, height);
  // Rows first (width), then columns.
  const tmp = new Float32Array(width * img.height);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      const { start, weights } = wx[x]!;
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += weights[k]! * img.data[y * img.width + start + k]!;
      tmp[y * width + x] = acc;
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const { start, weights } = wy[y]!;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += weights[k]! * tmp[(start + k) * width + x]!;
      out[y * width + x] = acc;
    }
  }
  return { width, height, data: out };
}

export type Fit = 'stretch' | 'pad' | 'crop';

/** Makes an image square before resizing: pad (black borders, keeps everything) or crop (the centre). */
export function fitSquare(img: GreyImage, fit: Fit): GreyImage {
  if (fit === 'stretch' || img.width === img.height) return img;
  const side = fit === 'pad' ? Math.max(img.width, img.height) : Math.min(img.width, img.height);
  const out = new Float32Array(side * side);
  const ox = Math.floor((side - img.width) / 2);
  const oy = Math.floor((side - img.height) / 2);
  for (let y = 0; y < side; y++) {
    const sy = y - oy;
    if (sy < 0 || sy >= img.height) continue;
    for (let x = 0; x < side; x++) {
      const sx = x - ox;
      if (sx >= 0 && sx < img.width) out[y * side + x] = img.data[sy * img.width + sx]!;
    }
  }
  return { width: side, height: side, data: out };
}

/**
 * Contrast normalization at full resolution, before the downsample: 'none',
 * or 'equalize' (global histogram equalization, 256 levels), which maps
 * X-rays of different exposure and film to a common grey distribution.
 */
export type Contrast = 'none' | 'equalize';
export const CONTRASTS: readonly Contrast[] = ['none', 'equalize'];

/** Histogram equalization: each value becomes the fraction of pixels darker than its level (the darkest level maps to 0). */
export function equalize(img: GreyImage): GreyImage {
  const levels = 256;
  const bin = (v: number) => Math.min(levels - 1, Math.max(0, Math.floor(v * levels)));
  const hist = new Float64Array(levels);
  for (const v of img.data) hist[bin(v)]++;
  const cdf = new Float64Array(levels);
  let acc = 0;
  for (let i = 0; i < levels; i++) cdf[i] = acc += hist[i]!;
  let first = 0;
  while (first < levels && hist[first] === 0) first++;
  const lowest = first < levels ? cdf[first]! : 0;
  const span = img.data.length - lowest;
  const data = new Float32Array(img.data.length);
  // A flat image (one level) has nothing to spread: it stays as it is.
  if (span <= 0) data.set(img.data);
  else for (let i = 0; i < data.length; i++) data[i] = (cdf[bin(img.data[i]!)]! - lowest) / span;
  return { width: img.width, height: img.height, data };
}

/** A decoded X-ray, contrast-normalized and made square: what the model's input is resized from (and Grad-CAM draws on). */
export function squareImage(img: GreyImage, fit: Fit, contrast: Contrast = 'none'): GreyImage {
  return fitSquare(contrast === 'equalize' ? equalize(img) : img, fit);
}

/** Decode, normalize contrast, square (per `fit`) and resize to size x size. */
export function preprocess(bytes: Uint8Array, size: number, fit: Fit = 'stretch', contrast: Contrast = 'none'): GreyImage {
  return resizeArea(squareImage(decodeGrey(bytes), fit, contrast), size, size);
}
