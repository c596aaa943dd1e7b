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

/** Default cap on an image file's size in MB, before it is read (Node: PNEUMO_MAX_IMAGE_MB overrides it; the page uses it as is). */
export const DEFAULT_MAX_IMAGE_MB = 64;

export function sniffFormat(bytes: Uint8Array): 'jpeg' | 'png' | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
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
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: 1024,
    });
    ({ width, height } = img);
    rgba = img.data;
  } catch (e) {
    const msg = (e as Error).message || String(e);
    // Our own size and truncation checks already say what is wrong.
    if (/^(unsupported image size|truncated)/.test(msg)) throw e;
    throw new Error(`corrupt or truncated ${format.toUpperCase()} (${msg})`);
  }
  if (width <= 0 || height <= 0 || width * height > MAX_PIXELS)
    throw new Error(`unsupported image size ${width}x${height}`);
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
  if (width <= 0 || height <= 0 || width * height > MAX_PIXELS)
    throw new Error(`unsupported image size ${width}x${height}`);
  // A chunk whose CRC does not match is corrupt by definition (libpng and Pillow refuse it too).
  const png = decodePng(bytes, { checkCrc: true });
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

/**
 * How an X-ray becomes square before the resize: 'stretch' (the whole film,
 * aspect ignored), 'pad' (black borders, keeps everything), 'crop' (the
 * centre square), or 'chest' (drops CHEST_MARGIN of every side, where the
 * film edges, markers and burned-in text are, then stretches).
 */
export type Fit = 'stretch' | 'pad' | 'crop' | 'chest';
export const FITS: readonly Fit[] = ['stretch', 'pad', 'crop', 'chest'];

/** Fraction of each side the 'chest' fit drops. */
export const CHEST_MARGIN = 0.08;

/** The sub-image [x0, x0 + width) x [y0, y0 + height). */
function cropRect(img: GreyImage, x0: number, y0: number, width: number, height: number): GreyImage {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    data.set(img.data.subarray((y0 + y) * img.width + x0, (y0 + y) * img.width + x0 + width), y * width);
  return { width, height, data };
}

/** Makes an image square (or, for 'stretch' and 'chest', ready to be stretched to one) before resizing. */
export function fitSquare(img: GreyImage, fit: Fit): GreyImage {
  if (fit === 'chest') {
    const mx = Math.floor(img.width * CHEST_MARGIN);
    const my = Math.floor(img.height * CHEST_MARGIN);
    return cropRect(img, mx, my, img.width - 2 * mx, img.height - 2 * my);
  }
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
 * Contrast normalization at full resolution, before the downsample: 'none';
 * 'equalize' (global histogram equalization, 256 levels), which maps X-rays
 * of different exposure and film to a common grey distribution; or 'clahe'
 * (contrast-limited adaptive equalization: per tile of an 8x8 grid, with
 * the histogram clipped at CLAHE_CLIP times its mean so flat regions are
 * not blown up into noise, blended bilinearly between tile centres).
 */
export type Contrast = 'none' | 'equalize' | 'clahe';
export const CONTRASTS: readonly Contrast[] = ['none', 'equalize', 'clahe'];

const LEVELS = 256;
const level = (v: number) => Math.min(LEVELS - 1, Math.max(0, Math.floor(v * LEVELS)));

/** The histogram of the levels in the rectangle [x0, x1) x [y0, y1). */
function histogram(img: GreyImage, x0 = 0, y0 = 0, x1 = img.width, y1 = img.height): Float64Array {
  const hist = new Float64Array(LEVELS);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) hist[level(img.data[y * img.width + x]!)]++;
  return hist;
}

/**
 * The equalizing map of a histogram: each level goes to the fraction of
 * pixels below it, the darkest level present to 0. Null for a flat region
 * (one level): there is nothing to spread.
 */
function equalizingMap(hist: Float64Array): Float64Array | null {
  const cdf = new Float64Array(LEVELS);
  let acc = 0;
  for (let i = 0; i < LEVELS; i++) cdf[i] = acc += hist[i]!;
  let first = 0;
  while (first < LEVELS && hist[first] === 0) first++;
  const lowest = first < LEVELS ? cdf[first]! : 0;
  const span = acc - lowest;
  if (span <= 0) return null;
  return cdf.map((c) => Math.max(0, (c - lowest) / span));
}

/** Histogram equalization: each value becomes the fraction of pixels darker than its level (the darkest level maps to 0). */
export function equalize(img: GreyImage): GreyImage {
  const map = equalizingMap(histogram(img));
  const data = map ? img.data.map((v) => map[level(v)]!) : img.data.slice();
  return { width: img.width, height: img.height, data };
}

/** CLAHE's grid (tiles per side) and clip limit (a multiple of the mean bin count). */
export const CLAHE_TILES = 8;
export const CLAHE_CLIP = 2;

/** Clips a histogram at `limit` and spreads what was cut evenly over all bins (once: the classic approximation). */
function clipHistogram(hist: Float64Array, limit: number): void {
  let excess = 0;
  for (let i = 0; i < LEVELS; i++) {
    if (hist[i]! > limit) {
      excess += hist[i]! - limit;
      hist[i] = limit;
    }
  }
  for (let i = 0; i < LEVELS; i++) hist[i]! += excess / LEVELS;
}

/** Contrast-limited adaptive histogram equalization (see Contrast). */
export function clahe(img: GreyImage, tiles = CLAHE_TILES, clip = CLAHE_CLIP): GreyImage {
  const { width, height } = img;
  const tx = Math.max(1, Math.min(tiles, width));
  const ty = Math.max(1, Math.min(tiles, height));
  const edge = (n: number, t: number, i: number) => Math.round((i * n) / t);
  // Per tile, its map; a flat tile keeps its values (identity map).
  const maps: Float64Array[] = [];
  for (let j = 0; j < ty; j++) {
    for (let i = 0; i < tx; i++) {
      const [x0, x1, y0, y1] = [
        edge(width, tx, i),
        edge(width, tx, i + 1),
        edge(height, ty, j),
        edge(height, ty, j + 1),
      ];
      const hist = histogram(img, x0, y0, x1, y1);
      clipHistogram(hist, (clip * (x1 - x0) * (y1 - y0)) / LEVELS);
      maps.push(equalizingMap(hist) ?? Float64Array.from({ length: LEVELS }, (_, l) => (l + 0.5) / LEVELS));
    }
  }
  // Each pixel blends the maps of the four tile centres around it (clamped at the borders).
  const blend = (pos: number, n: number, t: number) => {
    const f = Math.min(t - 1, Math.max(0, (pos + 0.5) * (t / n) - 0.5));
    const a = Math.min(t - 2, Math.floor(f));
    return a < 0 ? { a: 0, b: 0, w: 0 } : { a, b: a + 1, w: f - a };
  };
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const by = blend(y, height, ty);
    for (let x = 0; x < width; x++) {
      const bx = blend(x, width, tx);
      const l = level(img.data[y * width + x]!);
      const m = (i: number, j: number) => maps[j * tx + i]![l]!;
      const top = m(bx.a, by.a) * (1 - bx.w) + m(bx.b, by.a) * bx.w;
      const bottom = m(bx.a, by.b) * (1 - bx.w) + m(bx.b, by.b) * bx.w;
      data[y * width + x] = top * (1 - by.w) + bottom * by.w;
    }
  }
  return { width, height, data };
}

const CONTRAST_FNS: Record<Contrast, (img: GreyImage) => GreyImage> = {
  none: (img) => img,
  equalize,
  clahe: (img) => clahe(img),
};

/** A decoded X-ray, contrast-normalized and made square: what the model's input is resized from (and Grad-CAM draws on). */
export function squareImage(img: GreyImage, fit: Fit, contrast: Contrast = 'none'): GreyImage {
  return fitSquare(CONTRAST_FNS[contrast](img), fit);
}

/** Decode, normalize contrast, square (per `fit`) and resize to size x size. */
export function preprocess(
  bytes: Uint8Array,
  size: number,
  fit: Fit = 'stretch',
  contrast: Contrast = 'none',
): GreyImage {
  return resizeArea(squareImage(decodeGrey(bytes), fit, contrast), size, size);
}
