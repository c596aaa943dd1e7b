/**
 * The Kaggle "Chest X-Ray Images (Pneumonia)" layout, the one place its
 * rules live: <root>/{train,val,test}/{NORMAL,PNEUMONIA}/*.{jpeg,jpg,png},
 * or a root that contains chest_xray/ laid out so.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labelFor, patientId, type TaskMode } from '../classes.js';
import { fileProblem } from './read-image.js';

export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];
export const CLASS_FOLDERS = ['NORMAL', 'PNEUMONIA'] as const;
export const IMAGE_EXTENSIONS = ['.jpeg', '.jpg', '.png'];

export const EXPECTED_LAYOUT = `expected the Kaggle layout:
  <root>/train/NORMAL/*.jpeg      <root>/train/PNEUMONIA/person1_bacteria_1.jpeg, person2_virus_3.jpeg, ...
  <root>/val/...   <root>/test/... (optional)
or a <root> containing chest_xray/ laid out that way.`;

export interface ImageRecord {
  path: string;
  file: string;
  split: SplitName;
  label: number;
  patient: string;
}

export interface Skipped {
  path: string;
  reason: string;
}

/** The directory holding the split folders, or an error that shows the expected layout. */
export function resolveRoot(root: string): string {
  if (!existsSync(root)) throw new Error(`dataset directory ${root} does not exist; ${EXPECTED_LAYOUT}`);
  for (const candidate of [root, join(root, 'chest_xray')]) {
    if (SPLITS.some((s) => CLASS_FOLDERS.some((c) => existsSync(join(candidate, s, c))))) return candidate;
  }
  throw new Error(`${root} is not a chest X-ray dataset: ${EXPECTED_LAYOUT}`);
}

/** Every image file of `splits` with its label and patient; other files are reported as skipped. */
export function discover(
  root: string,
  mode: TaskMode,
  splits: readonly SplitName[] = SPLITS,
): { root: string; records: ImageRecord[]; skipped: Skipped[] } {
  const base = resolveRoot(root);
  const records: ImageRecord[] = [];
  const skipped: Skipped[] = [];
  for (const split of splits) {
    for (const folder of CLASS_FOLDERS) {
      const dir = join(base, split, folder);
      if (!existsSync(dir)) continue;
      let raw: Buffer[];
      try {
        raw = readdirSync(dir, { encoding: 'buffer' });
      } catch (e) {
        skipped.push({ path: dir, reason: `cannot list the folder: ${fileProblem(e)}` });
        continue;
      }
      const names: string[] = [];
      for (const r of raw) {
        const name = r.toString('utf8');
        // A name that is not UTF-8 cannot be opened through a string path.
        if (Buffer.from(name, 'utf8').equals(r)) names.push(name);
        else skipped.push({ path: join(dir, name), reason: 'the file name is not valid UTF-8' });
      }
      for (const file of names.sort()) {
        const path = join(dir, file);
        if (file.startsWith('.')) continue;
        let st: ReturnType<typeof statSync>;
        try {
          st = statSync(path);
        } catch (e) {
          skipped.push({ path, reason: fileProblem(e) });
          continue;
        }
        if (!st.isFile()) {
          skipped.push({
            path,
            reason: st.isDirectory()
              ? 'a directory, not an image file (sub-folders are not searched)'
              : 'not a regular file',
          });
          continue;
        }
        const ext = file.slice(file.lastIndexOf('.')).toLowerCase();
        if (!IMAGE_EXTENSIONS.includes(ext)) {
          skipped.push({ path, reason: `not an image file (extension ${ext || 'none'})` });
          continue;
        }
        const label = labelFor(folder, file, mode);
        if (label === null) {
          skipped.push({ path, reason: 'the file name says neither bacteria nor virus' });
          continue;
        }
        records.push({ path, file, split, label, patient: `${split}/${patientId(file)}` });
      }
    }
  }
  if (records.length === 0)
    throw new Error(`no images found under ${base} for ${splits.join(', ')}; ${EXPECTED_LAYOUT}`);
  return { root: base, records, skipped };
}

/**
 * Splits records by patient, stratified by label: about `fraction` of each
 * class's patients go to validation, and no patient is on both sides.
 */
export function patientSplit<R extends { label: number; patient: string }>(
  records: R[],
  fraction: number,
  shuffle: (xs: string[]) => string[],
): { train: R[]; val: R[] } {
  const byPatient = new Map<string, R[]>();
  for (const r of records) {
    const list = byPatient.get(r.patient);
    if (list) list.push(r);
    else byPatient.set(r.patient, [r]);
  }
  const patientsByLabel = new Map<number, string[]>();
  for (const [p, rs] of byPatient) {
    // A patient's class: the most common label of their images.
    const counts = new Map<number, number>();
    for (const r of rs) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
    const label = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    const list = patientsByLabel.get(label);
    if (list) list.push(p);
    else patientsByLabel.set(label, [p]);
  }
  const valPatients = new Set<string>();
  for (const label of [...patientsByLabel.keys()].sort()) {
    const ps = shuffle([...patientsByLabel.get(label)!].sort());
    const k = Math.round(ps.length * fraction);
    for (const p of ps.slice(0, k)) valPatients.add(p);
  }
  return {
    train: records.filter((r) => !valPatients.has(r.patient)),
    val: records.filter((r) => valPatients.has(r.patient)),
  };
}
