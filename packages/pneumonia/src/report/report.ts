/**
 * The training report: loss and accuracy curves per epoch and the
 * confusion matrix, as PNG files and one self-contained HTML file (inline
 * SVG and the PNGs embedded, no external resources).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from '../metrics.js';
import type { EpochLog } from '../train.js';
import { uncertaintyHtml } from './calibration.js';
import { Raster, type Rgb } from './raster.js';

const BLUE: Rgb = [31, 119, 180];
const ORANGE: Rgb = [255, 127, 14];
const GREY: Rgb = [120, 120, 120];
const BLACK: Rgb = [20, 20, 20];

interface Series {
  name: string;
  values: number[];
  color: Rgb;
}

/** A line chart of series over epochs 1..n. */
export function chartPng(title: string, series: Series[], percent = false): Uint8Array {
  const W = 420;
  const H = 260;
  const L = 50;
  const R = 15;
  const T = 30;
  const B = 40;
  const r = new Raster(W, H);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = Math.min(...all, percent ? 0 : Infinity);
  let hi = Math.max(...all, percent ? 1 : -Infinity);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (hi - lo < 1e-9) hi = lo + 1;
  const X = (e: number) => L + ((W - L - R) * (n === 1 ? 0.5 : e / (n - 1)));
  const Y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  r.text(L, 8, title, BLACK, 2);
  r.line(L, T, L, H - B, GREY, 1);
  r.line(L, H - B, W - R, H - B, GREY, 1);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    const label = percent ? `${Math.round(100 * v)}%` : v.toFixed(2);
    r.line(L - 4, Y(v), L, Y(v), GREY, 1);
    r.text(L - 6 - r.textWidth(label), Y(v) - 5, label, GREY, 2);
  }
  for (let e = 0; e < n; e++) {
    if (n > 12 && e % Math.ceil(n / 12) !== 0) continue;
    const label = String(e + 1);
    r.text(X(e) - r.textWidth(label) / 2, H - B + 8, label, GREY, 2);
  }
  r.text(W / 2 - r.textWidth('epoch') / 2, H - 14, 'epoch', GREY, 2);
  series.forEach((s, k) => {
    for (let e = 1; e < s.values.length; e++) {
      if (Number.isFinite(s.values[e - 1]!) && Number.isFinite(s.values[e]!)) r.line(X(e - 1), Y(s.values[e - 1]!), X(e), Y(s.values[e]!), s.color, 2);
    }
    s.values.forEach((v, e) => Number.isFinite(v) && r.rect(X(e) - 2, Y(v) - 2, 5, 5, s.color));
    const lx = W - R - 110;
    r.rect(lx, T + 4 + 14 * k, 10, 10, s.color);
    r.text(lx + 14, T + 5 + 14 * k, s.name, BLACK, 2);
  });
  return r.png();
}

/** The confusion matrix as a grid, darker for more images. */
export function confusionPng(m: Metrics): Uint8Array {
  const k = m.confusion.length;
  const cell = 70;
  const L = 90;
  const T = 60;
  const r = new Raster(L + k * cell + 20, T + k * cell + 30);
  r.text(10, 8, 'confusion: rows true, columns predicted', BLACK, 2);
  const max = Math.max(1, ...m.confusion.flat());
  m.perClass.forEach((p, i) => {
    r.text(8, T + i * cell + cell / 2 - 5, p.name.slice(0, 10), BLACK, 2);
    r.text(L + i * cell + 4, T - 16, p.name.slice(0, 8), BLACK, 2);
  });
  m.confusion.forEach((row, i) =>
    row.forEach((v, j) => {
      const t = v / max;
      const shade: Rgb = [Math.round(255 - 200 * t), Math.round(255 - 150 * t), 255];
      r.rect(L + j * cell, T + i * cell, cell - 2, cell - 2, shade);
      const label = String(v);
      r.text(L + j * cell + cell / 2 - r.textWidth(label, 3) / 2, T + i * cell + cell / 2 - 7, label, t > 0.6 ? [255, 255, 255] : BLACK, 3);
    }),
  );
  return r.png();
}

function svgChart(title: string, series: { name: string; values: number[]; color: string }[], percent: boolean): string {
  const W = 420;
  const H = 240;
  const L = 50;
  const T = 30;
  const B = 35;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const lo = percent ? 0 : Math.min(...all);
  let hi = percent ? 1 : Math.max(...all);
  if (!(hi > lo)) hi = lo + 1;
  const X = (e: number) => L + ((W - L - 15) * (n === 1 ? 0.5 : e / (n - 1)));
  const Y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const lines = series
    .map((s) => {
      const pts = s.values.map((v, e) => (Number.isFinite(v) ? `${X(e).toFixed(1)},${Y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`;
    })
    .join('');
  const ticks = [0, 1, 2, 3, 4]
    .map((i) => {
      const v = lo + ((hi - lo) * i) / 4;
      return `<text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="11" fill="#666">${percent ? `${Math.round(100 * v)}%` : v.toFixed(2)}</text>`;
    })
    .join('');
  const legend = series.map((s, k) => `<text x="${W - 110}" y="${T + 12 + 14 * k}" font-size="12" fill="${s.color}">■ ${s.name}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="${L}" y="18" font-size="14">${title}</text><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${H - B}" x2="${W - 15}" y2="${H - B}" stroke="#999"/>${ticks}${lines}${legend}<text x="${W / 2}" y="${H - 8}" font-size="11" fill="#666">epoch</text></svg>`;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * Writes curves.png, confusion.png and report.html into `dir`. `metrics` is
 * the evaluation shown (validation or test); returns the written paths.
 */
export function writeReport(dir: string, history: EpochLog[], metrics: Metrics | null, title: string): string[] {
  const loss: Series[] = [
    { name: 'train', values: history.map((h) => h.trainLoss), color: BLUE },
    { name: 'val', values: history.map((h) => h.valLoss), color: ORANGE },
  ];
  const acc: Series[] = [
    { name: 'train', values: history.map((h) => h.trainAccuracy), color: BLUE },
    { name: 'val', values: history.map((h) => h.valAccuracy), color: ORANGE },
  ];
  const lossPng = chartPng('loss', loss);
  const accPng = chartPng('accuracy', acc, true);
  const written: string[] = [];
  const save = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    written.push(join(dir, name));
  };
  // An evaluation alone (no training history) has no curves.
  if (history.length > 0) {
    save('loss.png', lossPng);
    save('accuracy.png', accPng);
  }
  let confusion = '';
  if (metrics) {
    const cm = confusionPng(metrics);
    save('confusion.png', cm);
    const names = metrics.perClass.map((p) => p.name);
    confusion = `<h2>Confusion matrix</h2><table><tr><th>true \\ predicted</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>${metrics.confusion
      .map((row, i) => `<tr><th>${esc(names[i]!)}</th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`)
      .join('')}</table><h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>ROC AUC</th></tr>${metrics.perClass
      .map((p, c) => `<tr><th>${esc(p.name)}</th><td>${(100 * p.precision).toFixed(1)}%</td><td>${(100 * p.recall).toFixed(1)}%</td><td>${(100 * p.f1).toFixed(1)}%</td><td>${p.support}</td><td>${Number.isNaN(metrics.auc[c]!) ? 'n/a' : metrics.auc[c]!.toFixed(3)}</td></tr>`)
      .join('')}</table><p>Accuracy ${(100 * metrics.accuracy).toFixed(1)}%, macro-F1 ${(100 * metrics.macroF1).toFixed(1)}%; pneumonia vs normal: sensitivity ${(100 * metrics.sensitivity).toFixed(1)}%, specificity ${(100 * metrics.specificity).toFixed(1)}%, ROC AUC ${metrics.pneumoniaAuc.toFixed(3)}.</p><img alt="confusion matrix" src="data:image/png;base64,${Buffer.from(cm).toString('base64')}">${uncertaintyHtml(metrics)}`;
  }
  const rows = history
    .map((h) => `<tr><td>${h.epoch}</td><td>${h.trainLoss.toFixed(4)}</td><td>${(100 * h.trainAccuracy).toFixed(1)}%</td><td>${h.valLoss.toFixed(4)}</td><td>${(100 * h.valAccuracy).toFixed(1)}%</td><td>${(100 * h.valMacroF1).toFixed(1)}%</td><td>${h.lr.toExponential(2)}</td><td>${h.imagesPerSecond.toFixed(1)}</td></tr>`)
    .join('');
  const curves =
    history.length === 0
      ? ''
      : `${svgChart('loss', loss.map((s, i) => ({ name: s.name, values: s.values, color: i ? '#ff7f0e' : '#1f77b4' })), false)}${svgChart(
          'accuracy',
          acc.map((s, i) => ({ name: s.name, values: s.values, color: i ? '#ff7f0e' : '#1f77b4' })),
          true,
        )}<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>val macro-F1</th><th>lr</th><th>img/s</th></tr>${rows}</table>`;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}svg{margin-right:1em}</style></head><body><h1>${esc(title)}</h1>${curves}${confusion}</body></html>\n`;
  save('report.html', new TextEncoder().encode(html));
  return written;
}
