/**
 * The development set: X-rays of other patients that choose what a run
 * keeps (the best epoch, the class-prior shift, the operating point) and
 * are never trained on. Its images are preprocessed like the training
 * images but normalized with the training statistics, and a dev set that
 * shares a file with the training data is refused: it would stop telling
 * the truth about other patients.
 */
import { realpathSync } from 'node:fs';
import { relative } from 'node:path';
import type { TaskMode } from '../classes.js';
import { datasetIdentity } from './identity.js';
import { discover, type ImageRecord, resolveRoot, type Skipped } from './layout.js';
import { type LoadedImages, type LoadOptions, loadImages } from './load.js';

export interface DevSet {
  root: string;
  loaded: LoadedImages;
  indices: number[];
  skipped: Skipped[];
  identity: ReturnType<typeof datasetIdentity>;
  /** Both normal and pneumonia images (an operating point needs both). */
  bothKinds: boolean;
  /** How checkpoints name it: 'dev: <root> (N images)'. */
  description: string;
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

/** The images of a dev set: the test/ split of `root`, or every split when it has no test/ images. */
export function devRecords(root: string, mode: TaskMode): { base: string; records: ImageRecord[]; skipped: Skipped[] } {
  const base = resolveRoot(root);
  let found = discover(base, mode, ['test']);
  if (found.records.length === 0) found = discover(base, mode);
  if (found.records.length === 0) throw new Error(`the selection set ${root} has no images`);
  return { base, records: found.records, skipped: found.skipped };
}

/** The dev set of `root` (see devRecords), loaded and checked against the training records. */
export function loadDevSet(
  root: string,
  mode: TaskMode,
  trainRecords: readonly ImageRecord[],
  o: Omit<LoadOptions, 'onProgress'>,
): DevSet {
  const found = devRecords(root, mode);
  const base = found.base;
  const training = new Set(trainRecords.map((r) => real(r.path)));
  const shared = found.records.filter((r) => training.has(real(r.path)));
  if (shared.length > 0) {
    throw new Error(
      `the selection set ${root} shares ${shared.length} file(s) with the training data (e.g. ${relative(base, shared[0]!.path)}): choose on images that are never trained on`,
    );
  }
  const loaded = loadImages(found.records, o);
  const labels = Array.from(loaded.labels);
  if (loaded.records.length === 0) throw new Error(`the selection set ${root} has no readable images`);
  return {
    root: base,
    loaded,
    indices: labels.map((_, i) => i),
    skipped: [...found.skipped, ...loaded.skipped],
    identity: datasetIdentity(base, loaded.records),
    bothKinds: labels.some((l) => l === 0) && labels.some((l) => l !== 0),
    description: `dev: ${base} (${loaded.records.length} images)`,
  };
}
