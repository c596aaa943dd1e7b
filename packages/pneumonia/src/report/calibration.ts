/**
 * The report's uncertainty section: 95% intervals, the operating point, and
 * the reliability diagram (accuracy against confidence per bin; a
 * calibrated model's bars meet the diagonal) as inline SVG.
 */
import type { Metrics } from '../metrics.js';
import type { Interval } from '../uncertainty.js';

/** Reliability diagram: one bar per non-empty confidence bin, its height the bin's accuracy; the diagonal is perfect calibration. */
export function reliabilitySvg(m: Metrics): string {
  const W = 320;
  const H = 300;
  const L = 45;
  const T = 30;
  const B = 40;
  const R = 15;
  const X = (v: number) => L + (W - L - R) * v;
  const Y = (v: number) => T + (H - T - B) * (1 - v);
  const bars = m.calibration.bins
    .filter((b) => b.count > 0)
    .map((b) => {
      const x = X(b.low) + 1;
      const w = X(b.high) - X(b.low) - 2;
      const gap = `<rect x="${x.toFixed(1)}" y="${Y(Math.max(b.accuracy, b.confidence)).toFixed(1)}" width="${w.toFixed(1)}" height="${Math.abs(Y(b.accuracy) - Y(b.confidence)).toFixed(1)}" fill="#d62728" opacity="0.25"/>`;
      return `<rect x="${x.toFixed(1)}" y="${Y(b.accuracy).toFixed(1)}" width="${w.toFixed(1)}" height="${(Y(0) - Y(b.accuracy)).toFixed(1)}" fill="#1f77b4"><title>confidence ${(100 * b.low).toFixed(0)}-${(100 * b.high).toFixed(0)}%: ${b.count} images, accuracy ${(100 * b.accuracy).toFixed(1)}%, mean confidence ${(100 * b.confidence).toFixed(1)}%</title></rect>${gap}`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="11" fill="#666">${Math.round(100 * v)}%</text><text x="${X(v)}" y="${H - B + 15}" text-anchor="middle" font-size="11" fill="#666">${Math.round(100 * v)}%</text>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="${L}" y="18" font-size="14">reliability (ECE ${(100 * m.calibration.ece).toFixed(1)}%)</text>` +
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/>${bars}` +
    `<line x1="${X(0)}" y1="${Y(0)}" x2="${X(1)}" y2="${Y(1)}" stroke="#444" stroke-dasharray="4 3"/>${ticks}` +
    `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle" font-size="11" fill="#666">confidence (top class)</text>` +
    `<text x="12" y="${(T + H - B) / 2}" font-size="11" fill="#666" transform="rotate(-90 12 ${(T + H - B) / 2})" text-anchor="middle">accuracy</text></svg>`
  );
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ci = (i: Interval | undefined, f: (x: number) => string = pct) =>
  i && !Number.isNaN(i.low) ? `${f(i.low)} – ${f(i.high)}` : 'n/a';

/** The HTML of the uncertainty section for `m`. */
export function uncertaintyHtml(m: Metrics): string {
  const iv = m.intervals;
  const op = m.operatingPoint;
  const rows: [string, string, string][] = [
    ['accuracy (argmax)', pct(m.accuracy), ci(iv?.accuracy)],
    ['sensitivity (argmax)', pct(m.sensitivity), ci(iv?.sensitivity)],
    ['specificity (argmax)', pct(m.specificity), ci(iv?.specificity)],
    ['pneumonia ROC AUC', m.pneumoniaAuc.toFixed(3), ci(iv?.pneumoniaAuc, (x) => x.toFixed(3))],
  ];
  if (op) {
    rows.push(
      [`accuracy at the operating point`, pct(op.accuracy), ci(iv?.operatingPoint?.accuracy)],
      [`sensitivity at the operating point`, pct(op.sensitivity), ci(iv?.operatingPoint?.sensitivity)],
      [`specificity at the operating point`, pct(op.specificity), ci(iv?.operatingPoint?.specificity)],
    );
  }
  const opText = op
    ? `<p>Operating point: pneumonia when 1 − p(normal) ≥ ${op.threshold.toFixed(4)}, the threshold chosen on validation for sensitivity ≥ ${(100 * op.targetSensitivity).toFixed(0)}% (here: ${op.tp} true positives, ${op.fn} false negatives, ${op.tn} true negatives, ${op.fp} false positives).</p>`
    : '<p>No operating point: pneumonia vs normal is decided by the argmax.</p>';
  return (
    `<h2>Uncertainty</h2><table><tr><th>metric</th><th>value</th><th>95% interval</th></tr>${rows.map(([a, b, c]) => `<tr><th>${a}</th><td>${b}</td><td>${c}</td></tr>`).join('')}</table>` +
    `<p>${iv ? 'Intervals: Wilson score for proportions, a stratified bootstrap (1000 resamples) for the AUC.' : 'Intervals not computed.'} ` +
    `Expected calibration error ${pct(m.calibration.ece)} over 10 confidence bins of the top class.</p>${opText}${reliabilitySvg(m)}`
  );
}
