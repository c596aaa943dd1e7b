/** Label order of the three-class task: the index is the label. */
export const CLASS_NAMES = ['NORMAL', 'BACTERIA', 'VIRUS'] as const;
/** Label order of the binary task. */
export const BINARY_CLASS_NAMES = ['NORMAL', 'PNEUMONIA'] as const;
export type ClassName = (typeof CLASS_NAMES)[number] | (typeof BINARY_CLASS_NAMES)[number];
export type TaskMode = 'three-class' | 'binary';

export function classNames(mode: TaskMode): readonly string[] {
  return mode === 'binary' ? BINARY_CLASS_NAMES : CLASS_NAMES;
}

/**
 * The label of a Kaggle file from its folder and name: NORMAL/ is 0;
 * PNEUMONIA/ is 1 (bacteria) or 2 (virus) from `_bacteria_` / `_virus_` in
 * the file name, or 1 in binary mode. Null when the name says neither.
 */
export function labelFor(folder: string, fileName: string, mode: TaskMode): number | null {
  const f = folder.toUpperCase();
  if (f === 'NORMAL') return 0;
  if (f !== 'PNEUMONIA') return null;
  if (mode === 'binary') return 1;
  const n = fileName.toLowerCase();
  if (n.includes('_bacteria_') || n.includes('bacteria')) return 1;
  if (n.includes('_virus_') || n.includes('virus')) return 2;
  return null;
}

/**
 * The patient a file belongs to, so that one patient's images never land on
 * both sides of a split: `person123_bacteria_4.jpeg` -> person123;
 * `IM-0115-0001.jpeg` -> IM-0115; `NORMAL2-IM-0135-0001.jpeg` -> NORMAL2-IM-0135.
 * Other names are their own patient.
 */
export function patientId(fileName: string): string {
  const base = fileName.replace(/\.[^.]+$/, '');
  const person = /^(person\d+)_/i.exec(base);
  if (person) return person[1]!.toLowerCase();
  const im = /^((?:NORMAL2-)?IM-\d+)/i.exec(base);
  if (im) return im[1]!.toUpperCase();
  return base;
}
