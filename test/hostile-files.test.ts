/**
 * A dataset laced with hostile and broken files (test/support/hostile-files.ts):
 * every one is skipped with the right reason, nothing hangs, memory stays
 * small, and the good images still load.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover, loadImages, writeSyntheticDataset } from '@pneumo/pneumonia';
import { describe, expect, it } from 'vitest';
import { readImageFile } from '../packages/pneumonia/src/data/read-image.js';
import { writeHostileFiles } from './support/hostile-files.js';

describe('hostile files in a dataset', () => {
  it('are each skipped with a reason naming the file, without hanging or ballooning', () => {
    const root = mkdtempSync(join(tmpdir(), 'pneumo-hostile-'));
    writeSyntheticDataset(root, { perClass: { train: 4, val: 1, test: 1 }, seed: 3, sizeRange: [40, 48] });
    const good = discover(root, 'three-class', ['train']).records.length;
    const hostile = writeHostileFiles(join(root, 'train', 'PNEUMONIA'));
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const found = discover(root, 'three-class', ['train']);
    const loaded = loadImages(found.records, { size: 32, fit: 'stretch', cacheDir: null });
    const seconds = (performance.now() - t0) / 1000;
    const skipped = [...found.skipped, ...loaded.skipped];
    for (const h of hostile) {
      const name = typeof h.name === 'string' ? h.name : 'person910_bacteria_';
      const hit = skipped.find((s) => s.path.includes(name));
      expect(hit, `${name} was not skipped`).toBeDefined();
      expect(hit!.reason, name).toMatch(h.reason);
    }
    expect(loaded.records).toHaveLength(good);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(600 * 2 ** 20);
    expect(seconds).toBeLessThan(30);
  });

  it('a FIFO or an oversized file is refused before it is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pneumo-fifo-'));
    writeHostileFiles(dir);
    expect(() => readImageFile(join(dir, 'person908_bacteria_1.jpeg'))).toThrow('a FIFO, not an image file');
    expect(() => readImageFile(join(dir, 'person904_bacteria_1.jpeg'))).toThrow(/1536 MB, over the 64 MB limit/);
  });
});
