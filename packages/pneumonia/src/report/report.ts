/**
 * The training report: loss and accuracy curves per epoch, the confusion
 * matrix and the reliability diagram, each drawn once as SVG: inline in one
 * self-contained HTML file (no external resources), and rendered to PNG
 * files by resvg.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from '../metrics.js';
import type { EpochLog } from '../train.js';
import { reliabilitySvg, uncertaintyHtml } from './calibration.js';
import { Resvg } from '@resvg/resvg-js';

/** A rendered PNG of an SVG (resvg; text in the system's sans-serif, DejaVu Sans where installed). */
export function svgToPng(svg: string): Uint8Array {
  return new Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } })
    .render()
    .asPng();
}

/** The confusion matrix as a grid, darker for more images. */
export function confusionSvg(m: Metrics): string {
  const k = m.confusion.length;
  const cell = 70;
  const L = 100;
  const T = 60;
  const W = L + k * cell + 20;
  const H = T + k * cell + 20;
  const max = Math.max(1, ...m.confusion.flat());
  const names = m.perClass.map((p) => p.name);
  const labels = names
    .map(
      (n, i) =>
        `<text x="${L - 8}" y="${T + i * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${esc(n)}</text><text x="${L + i * cell + cell / 2}" y="${T - 10}" text-anchor="middle" font-size="12">${esc(n)}</text>`,
    )
    .join('');
  const cells = m.confusion
    .flatMap((row, i) =>
      row.map((v, j) => {
        const t = v / max;
        const fill = `rgb(${Math.round(255 - 200 * t)},${Math.round(255 - 150 * t)},255)`;
        return `<rect x="${L + j * cell}" y="${T + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"/><text x="${L + j * cell + cell / 2}" y="${T + i * cell + cell / 2 + 6}" text-anchor="middle" font-size="18" fill="${t > 0.6 ? 'white' : '#222'}">${v}</text>`;
      }),
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="10" y="20" font-size="14">confusion: rows true, columns predicted</text>${labels}${cells}</svg>`;
}

function svgChart(
  title: string,
  series: { name: string; values: number[]; color: string }[],
  percent: boolean,
): string {
  const W = 420;
  const H = 240;
  const L = 50;
  const T = 30;
  const B = 35;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const lo = percent || all.length === 0 ? 0 : Math.min(...all);
  let hi = percent || all.length === 0 ? 1 : Math.max(...all);
  if (!(hi > lo)) hi = lo + 1;
  const X = (e: number) => L + (W - L - 15) * (n === 1 ? 0.5 : e / (n - 1));
  const Y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const lines = series
    .map((s) => {
      const pts = s.values
        .map((v, e) => (Number.isFinite(v) ? `${X(e).toFixed(1)},${Y(v).toFixed(1)}` : ''))
        .filter(Boolean)
        .join(' ');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`;
    })
    .join('');
  const ticks = [0, 1, 2, 3, 4]
    .map((i) => {
      const v = lo + ((hi - lo) * i) / 4;
      return `<text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="11" fill="#666">${percent ? `${Math.round(100 * v)}%` : v.toFixed(2)}</text>`;
    })
    .join('');
  const legend = series
    .map((s, k) => `<text x="${W - 110}" y="${T + 12 + 14 * k}" font-size="12" fill="${s.color}">■ ${s.name}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="${L}" y="18" font-size="14">${title}</text><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${H - B}" x2="${W - 15}" y2="${H - B}" stroke="#999"/>${ticks}${lines}${legend}<text x="${W / 2}" y="${H - 8}" font-size="11" fill="#666">epoch</text></svg>`;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * Writes curves.png, confusion.png and report.html into `dir`. `metrics` is
 * the evaluation shown (validation or test); returns the written paths.
 */
/** `warning`: shown in a box under the title (e.g. that the model was trained on synthetic images). */
export function writeReport(
  dir: string,
  history: EpochLog[],
  metrics: Metrics | null,
  title: string,
  options: { warning?: string } = {},
): string[] {
  const blue = '#1f77b4';
  const orange = '#ff7f0e';
  const lossSvg = svgChart(
    'loss',
    [
      { name: 'train', values: history.map((h) => h.trainLoss), color: blue },
      { name: 'val', values: history.map((h) => h.valLoss), color: orange },
    ],
    false,
  );
  const accSvg = svgChart(
    'accuracy',
    [
      { name: 'train', values: history.map((h) => h.trainAccuracy), color: blue },
      { name: 'val', values: history.map((h) => h.valAccuracy), color: orange },
    ],
    true,
  );
  const written: string[] = [];
  const save = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    written.push(join(dir, name));
  };
  // An evaluation alone (no training history) has no curves.
  if (history.length > 0) {
    save('loss.png', svgToPng(lossSvg));
    save('accuracy.png', svgToPng(accSvg));
  }
  let confusion = '';
  if (metrics) {
    const cm = confusionSvg(metrics);
    save('confusion.png', svgToPng(cm));
    save('reliability.png', svgToPng(reliabilitySvg(metrics)));
    const names = metrics.perClass.map((p) => p.name);
    confusion = `<h2>Confusion matrix</h2><table><tr><th>true \\ predicted</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>${metrics.confusion
      .map((row, i) => `<tr><th>${esc(names[i]!)}</th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`)
      .join(
        '',
      )}</table><h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>ROC AUC</th></tr>${metrics.perClass
      .map(
        (p, c) =>
          `<tr><th>${esc(p.name)}</th><td>${(100 * p.precision).toFixed(1)}%</td><td>${(100 * p.recall).toFixed(1)}%</td><td>${(100 * p.f1).toFixed(1)}%</td><td>${p.support}</td><td>${Number.isNaN(metrics.auc[c]!) ? 'n/a' : metrics.auc[c]!.toFixed(3)}</td></tr>`,
      )
      .join(
        '',
      )}</table><p>Accuracy ${(100 * metrics.accuracy).toFixed(1)}%, macro-F1 ${(100 * metrics.macroF1).toFixed(1)}%; pneumonia vs normal: sensitivity ${(100 * metrics.sensitivity).toFixed(1)}%, specificity ${(100 * metrics.specificity).toFixed(1)}%, ROC AUC ${metrics.pneumoniaAuc.toFixed(3)}.</p>${cm}${uncertaintyHtml(metrics)}`;
  }
  const rows = history
    .map(
      (h) =>
        `<tr><td>${h.epoch}</td><td>${h.trainLoss.toFixed(4)}</td><td>${(100 * h.trainAccuracy).toFixed(1)}%</td><td>${h.valLoss.toFixed(4)}</td><td>${(100 * h.valAccuracy).toFixed(1)}%</td><td>${(100 * h.valMacroF1).toFixed(1)}%</td><td>${h.lr.toExponential(2)}</td><td>${h.imagesPerSecond.toFixed(1)}</td></tr>`,
    )
    .join('');
  const curves =
    history.length === 0
      ? ''
      : `${lossSvg}${accSvg}<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>val macro-F1</th><th>lr</th><th>img/s</th></tr>${rows}</table>`;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}svg{margin-right:1em}</style></head><body><h1>${esc(title)}</h1>${options.warning ? `<p class="warning" style="border:2px solid #c00;padding:8px;color:#900">${esc(options.warning)}</p>` : ''}${curves}${confusion}</body></html>\n`;
  save('report.html', new TextEncoder().encode(html));
  return written;
}
