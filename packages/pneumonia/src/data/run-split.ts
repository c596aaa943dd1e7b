/**
 * The one definition of a training run's data: the train and official val
 * folders pooled (the official val split has 16 images, too few to select a
 * model on) and split again by patient with the run's seed, so evaluation
 * can recompute exactly the patients a checkpoint was validated on.
 */
import { Generator } from '@pneumo/nn';
import type { TaskMode } from '../classes.js';
import { discover, type ImageRecord, patientSplit, type Skipped } from './layout.js';

export interface RunSplit {
  root: string;
  /** Every record found in train/ and val/ (the order discovery gives). */
  records: ImageRecord[];
  train: ImageRecord[];
  val: ImageRecord[];
  skipped: Skipped[];
}

export function runSplit(data: string, mode: TaskMode, seed: number, valFraction: number): RunSplit {
  const found = discover(data, mode, ['train', 'val']);
  const split = patientSplit(found.records, valFraction, (xs) => new Generator(seed + 1).shuffle(xs));
  return { root: found.root, records: found.records, train: split.train, val: split.val, skipped: found.skipped };
}
