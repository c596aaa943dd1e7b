/**
 * Loading records into one float array of preprocessed images, with a disk
 * cache keyed by each file's path, size and mtime and by the preprocessing,
 * so later runs skip decoding.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '@pneumo/nn/node';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Contrast, type Fit, preprocess } from './image.js';
import { readImageFile } from './read-image.js';
import type { ImageRecord, Skipped } from './layout.js';

export interface LoadOptions {
  size: number;
  fit: Fit;
  contrast?: Contrast;
  /** Cache directory, or null for none (default: <user cache>/pneumo/images). */
  cacheDir?: string | null;
  onProgress?: (done: number, total: number) => void;
}

export interface LoadedImages {
  records: ImageRecord[];
  /** [N, size * size] grey values in [0, 1]. */
  pixels: Float32Array;
  labels: Int32Array;
  skipped: Skipped[];
  fromCache: boolean;
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pneumo', 'images');
}

const CACHE_VERSION = 1;

function cacheKey(records: ImageRecord[], o: LoadOptions): string {
  const h = createHash('sha256');
  h.update(`v${CACHE_VERSION}|${o.size}|${o.fit}${o.contrast && o.contrast !== 'none' ? `|${o.contrast}` : ''}\n`);
  for (const r of records) {
    // A file that cannot be stat'ed is skipped by the load itself.
    let stamp = 'unreadable';
    try {
      const st = statSync(r.path);
      stamp = `${st.size}|${st.mtimeMs}`;
    } catch {}
    h.update(`${r.path}|${stamp}\n`);
  }
  return h.digest('hex').slice(0, 32);
}

/** Decodes and resizes every record (skipping unreadable files with a reason). */
export function loadImages(records: ImageRecord[], o: LoadOptions): LoadedImages {
  const cacheDir = o.cacheDir === undefined ? defaultCacheDir() : o.cacheDir;
  const px = o.size * o.size;
  const key = cacheDir ? cacheKey(records, o) : '';
  const file = cacheDir ? join(cacheDir, `${key}.bin`) : '';
  if (cacheDir && existsSync(file) && existsSync(`${file}.json`)) {
    try {
      const meta = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as { kept: number[]; skipped: Skipped[] };
      const buf = readFileSync(file);
      const pixels = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      if (pixels.length === meta.kept.length * px) {
        const kept = meta.kept.map((i) => records[i]!);
        return {
          records: kept,
          pixels,
          labels: Int32Array.from(kept.map((r) => r.label)),
          skipped: meta.skipped,
          fromCache: true,
        };
      }
    } catch {
      // An unreadable cache entry is rebuilt below.
    }
  }
  const pixels = new Float32Array(records.length * px);
  const kept: number[] = [];
  const skipped: Skipped[] = [];
  records.forEach((r, i) => {
    try {
      const img = preprocess(readImageFile(r.path), o.size, o.fit, o.contrast);
      pixels.set(img.data, kept.length * px);
      kept.push(i);
    } catch (e) {
      skipped.push({ path: r.path, reason: (e as Error).message || String(e) });
    }
    if (o.onProgress && (i % 200 === 0 || i === records.length - 1)) o.onProgress(i + 1, records.length);
  });
  const out = pixels.slice(0, kept.length * px);
  if (cacheDir) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileAtomic(file, new Uint8Array(out.buffer));
      writeFileAtomic(`${file}.json`, JSON.stringify({ kept, skipped }));
    } catch (e) {
      console.warn(`pneumo: could not write the image cache in ${cacheDir}: ${(e as Error).message}`);
    }
  }
  const keptRecords = kept.map((i) => records[i]!);
  return {
    records: keptRecords,
    pixels: out,
    labels: Int32Array.from(keptRecords.map((r) => r.label)),
    skipped,
    fromCache: false,
  };
}

/** Mean and standard deviation of all pixels (the train set's, stored with the model). */
export function pixelStats(pixels: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of pixels) s += v;
  const mean = s / pixels.length;
  let q = 0;
  for (const v of pixels) q += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(q / pixels.length) || 1 };
}
