/**
 * The stress report: a model's metrics on a split's images as they are and
 * under each acquisition change of PERTURBATIONS (data/perturb.ts), with
 * the worst case of every metric. A model whose numbers collapse under a
 * mild gamma or a JPEG re-encoding will not survive another hospital's
 * machine, whatever its validation says.
 */
import type { Module } from '@pneumo/nn';
import type { CheckpointInfo } from './checkpoint-format.js';
import { decodeGrey, type GreyImage, resizeArea, squareImage } from './data/image.js';
import type { ImageRecord, Skipped } from './data/layout.js';
import { PERTURBATIONS, type Perturbation, perturbationGenerator } from './data/perturb.js';
import { readImageFile } from './data/read-image.js';
import { checkpointProbs } from './infer.js';
import { computeMetrics, type Headline, headline, type Metrics } from './metrics.js';

/** The numbers the report gives per condition (pneumonia vs normal at the checkpoint's operating point, or by the argmax without one). */
export interface StressRow extends Headline {
  name: string;
  family: string;
}

export type StressMetric = Exclude<keyof StressRow, 'name' | 'family'>;
export const STRESS_METRICS: readonly StressMetric[] = [
  'accuracy',
  'macroF1',
  'normalRecall',
  'sensitivity',
  'specificity',
  'pneumoniaAuc',
];

export interface StressReport {
  n: number;
  seed: number;
  clean: StressRow;
  rows: StressRow[];
  /** Per metric: its lowest value over the perturbed conditions, and where. */
  worst: Record<StressMetric, { value: number; name: string }>;
  skipped: Skipped[];
}

export const stressRow = (name: string, family: string, m: Metrics): StressRow => ({ name, family, ...headline(m) });

/** Runs `model` on `records` as they are and under every perturbation (seeded, so a report is reproducible). */
export async function stressTest(
  model: Module,
  info: CheckpointInfo,
  records: readonly ImageRecord[],
  o: {
    seed?: number;
    perturbations?: readonly Perturbation[];
    onProgress?: (done: number, total: number, name: string) => void;
  } = {},
): Promise<StressReport> {
  const seed = o.seed ?? 1;
  const perturbations = o.perturbations ?? PERTURBATIONS;
  const images: GreyImage[] = [];
  const labels: number[] = [];
  const skipped: Skipped[] = [];
  for (const r of records) {
    try {
      images.push(decodeGrey(readImageFile(r.path)));
      labels.push(r.label);
    } catch (e) {
      skipped.push({ path: r.path, reason: (e as Error).message });
    }
  }
  if (images.length === 0) throw new Error('stress report: no readable images');
  const size = info.inputSize;
  const px = size * size;
  const idx = images.map((_, i) => i);
  const run = async (
    name: string,
    family: string,
    change: ((img: GreyImage, i: number) => GreyImage) | null,
  ): Promise<StressRow> => {
    const pixels = new Float32Array(images.length * px);
    images.forEach((img, i) =>
      pixels.set(
        resizeArea(squareImage(change ? change(img, i) : img, info.fit, info.contrast), size, size).data,
        i * px,
      ),
    );
    const probs = await checkpointProbs(model, info, pixels, idx);
    return stressRow(
      name,
      family,
      computeMetrics(probs, labels, info.classes, { operatingPoint: info.operatingPoint }),
    );
  };
  const clean = await run('none (as acquired)', 'none', null);
  const rows: StressRow[] = [];
  for (const [p, pert] of perturbations.entries()) {
    o.onProgress?.(p, perturbations.length, pert.name);
    rows.push(await run(pert.name, pert.family, (img, i) => pert.apply(img, perturbationGenerator(seed, p, i))));
  }
  const worst = Object.fromEntries(
    STRESS_METRICS.map((metric) => {
      let at = rows[0] ?? clean;
      for (const r of rows) if (r[metric] < at[metric]) at = r;
      return [metric, { value: at[metric], name: at.name }];
    }),
  ) as StressReport['worst'];
  return { n: images.length, seed, clean, rows, worst, skipped };
}

const HEAD: Record<StressMetric, string> = {
  accuracy: '3-class acc',
  macroF1: 'macro-F1',
  normalRecall: 'NORMAL rec',
  sensitivity: 'sens@op',
  specificity: 'spec@op',
  pneumoniaAuc: 'AUC',
};

/** The report as a plain-text table (the CLI's). */
export function formatStress(r: StressReport, hasOperatingPoint: boolean): string {
  const w = Math.max(20, ...r.rows.map((x) => x.name.length)) + 2;
  const cell = (m: StressMetric, v: number) =>
    (Number.isNaN(v) ? 'n/a' : m === 'pneumoniaAuc' ? v.toFixed(3) : `${(100 * v).toFixed(1)}%`).padStart(12);
  const line = (row: StressRow) => row.name.padEnd(w) + STRESS_METRICS.map((m) => cell(m, row[m])).join('');
  const worst = 'worst case'.padEnd(w) + STRESS_METRICS.map((m) => cell(m, r.worst[m].value)).join('');
  const where = STRESS_METRICS.map((m) => `${HEAD[m]}: ${r.worst[m].name}`).join('; ');
  return [
    `stress report: ${r.n} images, ${r.rows.length} acquisition changes (seed ${r.seed}); pneumonia vs normal ${hasOperatingPoint ? 'at the operating point' : 'by the argmax'}`,
    'condition'.padEnd(w) + STRESS_METRICS.map((m) => HEAD[m].padStart(12)).join(''),
    line(r.clean),
    ...r.rows.map(line),
    worst,
    `worst at: ${where}`,
  ].join('\n');
}
