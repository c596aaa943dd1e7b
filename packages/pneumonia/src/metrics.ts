/**
 * Classification metrics from predicted probabilities and true labels:
 * accuracy, per-class precision / recall / F1, macro-F1, the confusion
 * matrix, pneumonia-vs-normal sensitivity and specificity, one-vs-rest ROC
 * AUC, and bacterial-vs-viral accuracy.
 */
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
}

const safeDiv = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Area under the ROC curve by the rank statistic (ties count half). */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number {
  // A NaN never equals itself: the tie scan below would never advance.
  const bad = scores.findIndex((x) => Number.isNaN(x));
  if (bad >= 0) throw new Error(`rocAuc: score ${bad} is NaN`);
  const pos = scores.filter((_, i) => positive[i]);
  const neg = scores.filter((_, i) => !positive[i]);
  if (pos.length === 0 || neg.length === 0) return NaN;
  const all = scores.map((s, i) => ({ s, p: positive[i]! })).sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/** `probs` is [n, classes] row-major. */
export function computeMetrics(probs: ArrayLike<number>, labels: ArrayLike<number>, classNames: readonly string[]): Metrics {
  const k = classNames.length;
  const n = labels.length;
  if (probs.length !== n * k) throw new Error(`metrics: ${probs.length} probabilities for ${n} images and ${k} classes`);
  let nonFinite = 0;
  for (let i = 0; i < probs.length; i++) if (!Number.isFinite(probs[i]!)) nonFinite++;
  if (nonFinite > 0) throw new Error(`metrics: ${nonFinite} of ${probs.length} predicted probabilities are not finite (the model's weights or inputs are broken)`);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i]) || labels[i]! < 0 || labels[i]! >= k) throw new Error(`metrics: label ${labels[i]} of image ${i} is not a class index in [0, ${k})`);
  }
  const pred: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c]! > probs[i * k + best]!) best = c;
    pred.push(best);
  }
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) confusion[labels[i]!]![pred[i]!]!++;
  const perClass = classNames.map((name, c) => {
    const tp = confusion[c]![c]!;
    const predicted = confusion.reduce((a, row) => a + row[c]!, 0);
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const precision = safeDiv(tp, predicted);
    const recall = safeDiv(tp, support);
    return { name, precision, recall, f1: safeDiv(2 * precision * recall, precision + recall), support };
  });
  let correct = 0;
  for (let c = 0; c < k; c++) correct += confusion[c]![c]!;
  let tp = 0;
  let fn = 0;
  let tn = 0;
  let fp = 0;
  for (let i = 0; i < n; i++) {
    const sick = labels[i] !== 0;
    const saidSick = pred[i] !== 0;
    if (sick && saidSick) tp++;
    else if (sick) fn++;
    else if (saidSick) fp++;
    else tn++;
  }
  const col = (c: number) => Array.from({ length: n }, (_, i) => probs[i * k + c]!);
  const auc = classNames.map((_, c) => rocAuc(col(c), Array.from({ length: n }, (_, i) => labels[i] === c)));
  const pneumoniaAuc = rocAuc(col(0).map((p) => 1 - p), Array.from({ length: n }, (_, i) => labels[i] !== 0));
  let bv: number | null = null;
  if (k === 3) {
    let seen = 0;
    let right = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] === 0) continue;
      seen++;
      const guess = probs[i * k + 1]! >= probs[i * k + 2]! ? 1 : 2;
      if (guess === labels[i]) right++;
    }
    bv = seen === 0 ? NaN : right / seen;
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
    bacterialVsViralAccuracy: bv,
  };
}

/** The metrics as a text table. */
export function formatMetrics(m: Metrics): string {
  const pct = (x: number) => (Number.isNaN(x) ? '  n/a' : `${(100 * x).toFixed(1)}%`.padStart(6));
  const names = m.perClass.map((p) => p.name);
  const w = Math.max(10, ...names.map((s) => s.length)) + 2;
  const lines = [
    `images: ${m.n}   accuracy: ${pct(m.accuracy).trim()}   macro-F1: ${pct(m.macroF1).trim()}`,
    `pneumonia vs normal: sensitivity ${pct(m.sensitivity).trim()}, specificity ${pct(m.specificity).trim()}, ROC AUC ${m.pneumoniaAuc.toFixed(3)}`,
    ...(m.bacterialVsViralAccuracy !== null ? [`bacterial vs viral accuracy (on pneumonia images): ${pct(m.bacterialVsViralAccuracy).trim()}`] : []),
    '',
    `${'class'.padEnd(w)}precision  recall      F1  support     AUC`,
    ...m.perClass.map((p, c) => `${p.name.padEnd(w)}${pct(p.precision).padStart(9)}${pct(p.recall).padStart(8)}${pct(p.f1).padStart(8)}${String(p.support).padStart(9)}${(Number.isNaN(m.auc[c]!) ? 'n/a' : m.auc[c]!.toFixed(3)).padStart(8)}`),
    '',
    `confusion (rows: true, columns: predicted)`,
    `${''.padEnd(w)}${names.map((s) => s.padStart(w)).join('')}`,
    ...m.confusion.map((row, i) => `${names[i]!.padEnd(w)}${row.map((v) => String(v).padStart(w)).join('')}`),
  ];
  return lines.join('\n');
}
