/**
 * Classification metrics from predicted probabilities and true labels:
 * accuracy, per-class precision / recall / F1, macro-F1, the confusion
 * matrix, pneumonia-vs-normal sensitivity and specificity (by the argmax,
 * and at an operating point when one is given), one-vs-rest ROC AUC,
 * bacterial-vs-viral accuracy, calibration, and on request 95% intervals.
 */
import { rocAuc } from './roc.js';
import {
  argmaxRow,
  bootstrapAuc,
  type Calibration,
  calibration,
  type Interval,
  type OperatingPoint,
  pneumoniaScore,
  wilson,
} from './uncertainty.js';

export interface Metrics {
  n: number;
  accuracy: number;
  perClass: { name: string; precision: number; recall: number; f1: number; support: number }[];
  macroF1: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  /** Pneumonia (any non-normal class) vs normal. */
  sensitivity: number;
  specificity: number;
  /** One-vs-rest ROC AUC per class (NaN where a class has no positives or no negatives). */
  auc: number[];
  /** Pneumonia-vs-normal ROC AUC, scoring by 1 - p(normal). */
  pneumoniaAuc: number;
  /** Among truly bacterial or viral images: the subtype with the larger probability is right (three-class only). */
  bacterialVsViralAccuracy: number | null;
  /** Top-label calibration (ECE and the reliability diagram's bins). */
  calibration: Calibration;
  /** Pneumonia vs normal decided at a threshold on 1 - p(normal) instead of by the argmax. */
  operatingPoint:
    | (OperatingPoint & {
        sensitivity: number;
        specificity: number;
        accuracy: number;
        tp: number;
        fn: number;
        tn: number;
        fp: number;
      })
    | null;
  /** 95% intervals: Wilson for proportions, a stratified bootstrap for the AUC (when asked for). */
  intervals: {
    accuracy: Interval;
    sensitivity: Interval;
    specificity: Interval;
    pneumoniaAuc: Interval;
    operatingPoint: { sensitivity: Interval; specificity: Interval; accuracy: Interval } | null;
  } | null;
}

export interface MetricOptions {
  /** Also report pneumonia-vs-normal at this operating point. */
  operatingPoint?: OperatingPoint | null;
  /** Compute 95% intervals (the AUC's bootstrap takes a moment on thousands of images). */
  intervals?: boolean;
}

const safeDiv = (a: number, b: number) => (b === 0 ? 0 : a / b);

export { rocAuc } from './roc.js';

/** Refuses probabilities that are not finite and labels that are not class indices. */
function checkInputs(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): void {
  const n = labels.length;
  if (probs.length !== n * k)
    throw new Error(`metrics: ${probs.length} probabilities for ${n} images and ${k} classes`);
  let nonFinite = 0;
  for (let i = 0; i < probs.length; i++) if (!Number.isFinite(probs[i]!)) nonFinite++;
  if (nonFinite > 0)
    throw new Error(
      `metrics: ${nonFinite} of ${probs.length} predicted probabilities are not finite (the model's weights or inputs are broken)`,
    );
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i]) || labels[i]! < 0 || labels[i]! >= k)
      throw new Error(`metrics: label ${labels[i]} of image ${i} is not a class index in [0, ${k})`);
  }
}

/** Precision, recall, F1 and support of each class from the confusion matrix (rows true, columns predicted). */
function perClassOf(confusion: number[][], classNames: readonly string[]): Metrics['perClass'] {
  return classNames.map((name, c) => {
    const tp = confusion[c]![c]!;
    const predicted = confusion.reduce((a, row) => a + row[c]!, 0);
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const precision = safeDiv(tp, predicted);
    const recall = safeDiv(tp, support);
    return { name, precision, recall, f1: safeDiv(2 * precision * recall, precision + recall), support };
  });
}

/** Pneumonia (any class but 0) vs normal, counted from yes/no decisions. */
function binaryCounts(sick: readonly boolean[], saidSick: (i: number) => boolean) {
  const c = { tp: 0, fn: 0, tn: 0, fp: 0 };
  for (let i = 0; i < sick.length; i++) {
    const said = saidSick(i);
    if (sick[i]) said ? c.tp++ : c.fn++;
    else said ? c.fp++ : c.tn++;
  }
  return c;
}

/** Among the pneumonia images, how often the larger of the bacterial and viral probabilities is the right one (3 classes). */
function bacterialVsViral(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number | null {
  if (k !== 3) return null;
  let seen = 0;
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 0) continue;
    seen++;
    const guess = probs[i * k + 1]! >= probs[i * k + 2]! ? 1 : 2;
    if (guess === labels[i]) right++;
  }
  return seen === 0 ? NaN : right / seen;
}

/** `probs` is [n, classes] row-major. */
export function computeMetrics(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  classNames: readonly string[],
  options: MetricOptions = {},
): Metrics {
  const k = classNames.length;
  const n = labels.length;
  checkInputs(probs, labels, k);
  const pred = Array.from({ length: n }, (_, i) => argmaxRow(probs, i, k));
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) confusion[labels[i]!]![pred[i]!]!++;
  const perClass = perClassOf(confusion, classNames);
  let correct = 0;
  for (let c = 0; c < k; c++) correct += confusion[c]![c]!;
  const sickFlags = Array.from({ length: n }, (_, i) => labels[i] !== 0);
  const { tp, fn, tn, fp } = binaryCounts(sickFlags, (i) => pred[i] !== 0);
  const col = (c: number) => Array.from({ length: n }, (_, i) => probs[i * k + c]!);
  const auc = classNames.map((_, c) =>
    rocAuc(
      col(c),
      Array.from({ length: n }, (_, i) => labels[i] === c),
    ),
  );
  const scores = Array.from({ length: n }, (_, i) => pneumoniaScore(probs, i, k));
  const pneumoniaAuc = rocAuc(scores, sickFlags);
  let op: Metrics['operatingPoint'] = null;
  if (options.operatingPoint) {
    const threshold = options.operatingPoint.threshold;
    const c = binaryCounts(sickFlags, (i) => scores[i]! >= threshold);
    op = {
      ...options.operatingPoint,
      ...c,
      sensitivity: safeDiv(c.tp, c.tp + c.fn),
      specificity: safeDiv(c.tn, c.tn + c.fp),
      accuracy: safeDiv(c.tp + c.tn, n),
    };
  }
  return {
    n,
    accuracy: safeDiv(correct, n),
    perClass,
    macroF1: perClass.reduce((a, p) => a + p.f1, 0) / k,
    confusion,
    sensitivity: safeDiv(tp, tp + fn),
    specificity: safeDiv(tn, tn + fp),
    auc,
    pneumoniaAuc,
    bacterialVsViralAccuracy: bacterialVsViral(probs, labels, k),
    calibration: calibration(probs, labels, k),
    operatingPoint: op,
    intervals: options.intervals
      ? {
          accuracy: wilson(correct, n),
          sensitivity: wilson(tp, tp + fn),
          specificity: wilson(tn, tn + fp),
          pneumoniaAuc: bootstrapAuc(scores, sickFlags),
          operatingPoint: op
            ? {
                sensitivity: wilson(op.tp, op.tp + op.fn),
                specificity: wilson(op.tn, op.tn + op.fp),
                accuracy: wilson(op.tp + op.tn, n),
              }
            : null,
        }
      : null,
  };
}

/** The metrics as a text table. */
export function formatMetrics(m: Metrics): string {
  const pct = (x: number) => (Number.isNaN(x) ? '  n/a' : `${(100 * x).toFixed(1)}%`.padStart(6));
  const names = m.perClass.map((p) => p.name);
  const w = Math.max(10, ...names.map((s) => s.length)) + 2;
  const iv = m.intervals;
  const ci = (x: Interval | undefined, digits = 1, scale = 100) =>
    x && !Number.isNaN(x.low)
      ? ` [${(scale * x.low).toFixed(digits)}-${(scale * x.high).toFixed(digits)}${scale === 100 ? '%' : ''}]`
      : '';
  const op = m.operatingPoint;
  const lines = [
    `images: ${m.n}   accuracy: ${pct(m.accuracy).trim()}${ci(iv?.accuracy)}   macro-F1: ${pct(m.macroF1).trim()}`,
    `pneumonia vs normal (argmax): sensitivity ${pct(m.sensitivity).trim()}${ci(iv?.sensitivity)}, specificity ${pct(m.specificity).trim()}${ci(iv?.specificity)}, ROC AUC ${m.pneumoniaAuc.toFixed(3)}${ci(iv?.pneumoniaAuc, 3, 1)}`,
    ...(op
      ? [
          `pneumonia vs normal at the operating point (1 - p(normal) >= ${op.threshold.toFixed(4)}, chosen for sensitivity >= ${(100 * op.targetSensitivity).toFixed(0)}%): ` +
            `accuracy ${pct(op.accuracy).trim()}${ci(iv?.operatingPoint?.accuracy)}, sensitivity ${pct(op.sensitivity).trim()}${ci(iv?.operatingPoint?.sensitivity)}, specificity ${pct(op.specificity).trim()}${ci(iv?.operatingPoint?.specificity)}`,
        ]
      : []),
    `calibration: expected calibration error ${(100 * m.calibration.ece).toFixed(1)}% (10 bins, top class)${iv ? '   [intervals: 95%, Wilson; AUC: stratified bootstrap]' : ''}`,
    ...(m.bacterialVsViralAccuracy !== null
      ? [`bacterial vs viral accuracy (on pneumonia images): ${pct(m.bacterialVsViralAccuracy).trim()}`]
      : []),
    '',
    `${'class'.padEnd(w)}precision  recall      F1  support     AUC`,
    ...m.perClass.map(
      (p, c) =>
        `${p.name.padEnd(w)}${pct(p.precision).padStart(9)}${pct(p.recall).padStart(8)}${pct(p.f1).padStart(8)}${String(p.support).padStart(9)}${(Number.isNaN(m.auc[c]!) ? 'n/a' : m.auc[c]!.toFixed(3)).padStart(8)}`,
    ),
    '',
    `confusion (rows: true, columns: predicted)`,
    `${''.padEnd(w)}${names.map((s) => s.padStart(w)).join('')}`,
    ...m.confusion.map((row, i) => `${names[i]!.padEnd(w)}${row.map((v) => String(v).padStart(w)).join('')}`),
  ];
  return lines.join('\n');
}

/**
 * Several evaluations of one model side by side (e.g. its validation
 * patients and a dev set of other patients): the headline numbers with
 * their 95% intervals, one column each.
 */
export function formatComparison(columns: readonly { title: string; m: Metrics }[]): string {
  const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  const ci = (x: Interval | undefined, digits = 1, scale = 100) =>
    x && !Number.isNaN(x.low) ? ` [${(scale * x.low).toFixed(digits)}-${(scale * x.high).toFixed(digits)}]` : '';
  const rows: [string, (m: Metrics) => string][] = [
    ['images', (m) => String(m.n)],
    ['3-class accuracy', (m) => pct(m.accuracy) + ci(m.intervals?.accuracy)],
    ['macro-F1', (m) => pct(m.macroF1)],
    ['NORMAL recall (argmax)', (m) => pct(m.perClass[0]!.recall)],
    ['pneumonia ROC AUC', (m) => m.pneumoniaAuc.toFixed(3) + ci(m.intervals?.pneumoniaAuc, 3, 1)],
    [
      'sensitivity at the op. point',
      (m) =>
        m.operatingPoint ? pct(m.operatingPoint.sensitivity) + ci(m.intervals?.operatingPoint?.sensitivity) : 'n/a',
    ],
    [
      'specificity at the op. point',
      (m) =>
        m.operatingPoint ? pct(m.operatingPoint.specificity) + ci(m.intervals?.operatingPoint?.specificity) : 'n/a',
    ],
    [
      'accuracy at the op. point',
      (m) => (m.operatingPoint ? pct(m.operatingPoint.accuracy) + ci(m.intervals?.operatingPoint?.accuracy) : 'n/a'),
    ],
    ['bacterial vs viral', (m) => (m.bacterialVsViralAccuracy === null ? 'n/a' : pct(m.bacterialVsViralAccuracy))],
    ['ECE', (m) => pct(m.calibration.ece)],
  ];
  const cells = rows.map(([, f]) => columns.map((c) => f(c.m)));
  const w0 = Math.max(...rows.map(([name]) => name.length)) + 2;
  const widths = columns.map((c, j) => Math.max(c.title.length, ...cells.map((r) => r[j]!.length)) + 2);
  const line = (first: string, rest: readonly string[]) =>
    first.padEnd(w0) + rest.map((v, j) => v.padStart(widths[j]!)).join('');
  return [
    line(
      '',
      columns.map((c) => c.title),
    ),
    ...rows.map(([name], i) => line(name, cells[i]!)),
  ].join('\n');
}

/** The headline numbers of an evaluation (an epoch's dev-set log line, a stress-report row): pneumonia vs normal at the operating point, or by the argmax without one. */
export interface Headline {
  accuracy: number;
  macroF1: number;
  normalRecall: number;
  pneumoniaAuc: number;
  sensitivity: number;
  specificity: number;
}

export function headline(m: Metrics): Headline {
  const op = m.operatingPoint;
  return {
    accuracy: m.accuracy,
    macroF1: m.macroF1,
    normalRecall: m.perClass[0]!.recall,
    pneumoniaAuc: m.pneumoniaAuc,
    sensitivity: op ? op.sensitivity : m.sensitivity,
    specificity: op ? op.specificity : m.specificity,
  };
}
