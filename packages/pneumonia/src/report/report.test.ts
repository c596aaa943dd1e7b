import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../metrics.js';
import { writeReport } from './report.js';

describe('training report', () => {
  it('writes curve and confusion PNGs and a self-contained HTML file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pneumo-report-'));
    const history = [1, 2, 3].map((epoch) => ({
      epoch,
      trainLoss: 1.2 / epoch,
      trainAccuracy: 0.3 * epoch,
      valLoss: 1.1 / epoch,
      valAccuracy: 0.25 * epoch,
      valMacroF1: 0.2 * epoch,
      lr: 1e-3,
      seconds: 10,
      imagesPerSecond: 20,
    }));
    const metrics = computeMetrics([0.8, 0.1, 0.1, 0.2, 0.7, 0.1], [0, 1], ['NORMAL', 'BACTERIA', 'VIRUS']);
    const files = writeReport(dir, history, metrics, 'test report');
    expect(files.map((f) => f.split('/').pop())).toEqual([
      'loss.png',
      'accuracy.png',
      'confusion.png',
      'reliability.png',
      'report.html',
    ]);
    for (const f of files.slice(0, 4)) {
      const png = PNG.sync.read(readFileSync(f));
      expect(png.width).toBeGreaterThan(100);
      // The title is drawn as text (a font was found): dark pixels in the top band.
      let dark = 0;
      for (let y = 0; y < 24; y++)
        for (let x = 0; x < png.width; x++) if (png.data[4 * (y * png.width + x)]! < 100) dark++;
      expect(dark, f).toBeGreaterThan(20);
    }
    const html = readFileSync(files[4]!, 'utf8');
    expect(html).toContain('<polyline');
    expect(html).toContain('confusion: rows true, columns predicted');
    expect(html).toMatch(/reliability \(ECE/);
    expect(html).toContain('<td>1</td>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain('class="warning"');
    const warned = readFileSync(
      writeReport(dir, history, metrics, 'test report', { warning: 'trained on synthetic images & <more>' }).at(-1)!,
      'utf8',
    );
    expect(warned).toContain(
      '<p class="warning" style="border:2px solid #c00;padding:8px;color:#900">trained on synthetic images &amp; &lt;more&gt;</p>',
    );
  });
});
