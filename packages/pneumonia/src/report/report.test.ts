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
    expect(files.map((f) => f.split('/').pop())).toEqual(['loss.png', 'accuracy.png', 'confusion.png', 'report.html']);
    for (const f of files.slice(0, 3)) {
      const png = PNG.sync.read(readFileSync(f));
      expect(png.width).toBeGreaterThan(100);
    }
    const html = readFileSync(files[3]!, 'utf8');
    expect(html).toContain('<polyline');
    expect(html).toContain('data:image/png;base64,');
    expect(html).toContain('<td>1</td>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
