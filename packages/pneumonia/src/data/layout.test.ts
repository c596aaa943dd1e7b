import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '@pneumo/nn';
import { discover, patientSplit, resolveRoot } from './layout.js';
import { loadImages } from './load.js';
import { encodeJpeg, encodePng, renderXray, writeSyntheticDataset } from './synthetic.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'pneumo-data-'));
}

describe('dataset layout', () => {
  it('finds the Kaggle layout, also under chest_xray/, with labels and patients', () => {
    const root = tmp();
    writeSyntheticDataset(join(root, 'chest_xray'), {
      perClass: { train: 4, val: 1, test: 2 },
      seed: 3,
      sizeRange: [40, 48],
    });
    expect(resolveRoot(root)).toBe(join(root, 'chest_xray'));
    const { records } = discover(root, 'three-class', ['train']);
    expect(records).toHaveLength(12);
    expect(records.filter((r) => r.label === 0)).toHaveLength(4);
    expect(records.filter((r) => r.label === 1).every((r) => r.file.includes('_bacteria_'))).toBe(true);
    expect(records.filter((r) => r.label === 2).every((r) => r.file.includes('_virus_'))).toBe(true);
    const binary = discover(root, 'binary', ['train']).records;
    expect(binary.filter((r) => r.label === 1)).toHaveLength(8);
  });

  it('explains the expected layout for an empty or wrongly laid-out directory', () => {
    const root = tmp();
    expect(() => discover(root, 'three-class')).toThrow(/not a chest X-ray dataset: expected the Kaggle layout/);
    mkdirSync(join(root, 'train', 'NORMAL'), { recursive: true });
    expect(() => discover(root, 'three-class')).toThrow(/no images found/);
    expect(() => discover(join(root, 'missing'), 'three-class')).toThrow(/does not exist/);
  });

  it('skips unreadable, corrupt, truncated, empty and non-image files, naming each with the reason', () => {
    const root = tmp();
    const normal = join(root, 'train', 'NORMAL');
    const sick = join(root, 'train', 'PNEUMONIA');
    mkdirSync(normal, { recursive: true });
    mkdirSync(sick, { recursive: true });
    const g = new Generator(1);
    const good = encodeJpeg(renderXray(0, g, 40, 40));
    writeFileSync(join(normal, 'IM-0001-0001.jpeg'), good);
    writeFileSync(join(normal, 'IM-0002-0001.png'), encodePng(renderXray(0, g, 40, 30)));
    writeFileSync(join(sick, 'person1_bacteria_1.jpeg'), encodeJpeg(renderXray(1, g, 50, 40)));
    writeFileSync(join(normal, 'IM-0003-0001.jpeg'), new Uint8Array(0));
    writeFileSync(join(normal, 'IM-0004-0001.jpeg'), good.subarray(0, 200));
    writeFileSync(join(normal, 'IM-0005-0001.jpeg'), new TextEncoder().encode('this is text, not a JPEG'));
    writeFileSync(join(normal, 'notes.txt'), 'hello');
    writeFileSync(join(sick, 'person2_unknown_3.jpeg'), good);
    const found = discover(root, 'three-class');
    expect(found.skipped.map((s) => s.reason)).toEqual([
      'not an image file (extension .txt)',
      'the file name says neither bacteria nor virus',
    ]);
    const loaded = loadImages(found.records, { size: 32, fit: 'stretch', cacheDir: null });
    expect(loaded.records.map((r) => r.file).sort()).toEqual([
      'IM-0001-0001.jpeg',
      'IM-0002-0001.png',
      'person1_bacteria_1.jpeg',
    ]);
    const reasons = Object.fromEntries(loaded.skipped.map((s) => [s.path.split('/').pop(), s.reason]));
    expect(reasons['IM-0003-0001.jpeg']).toBe('empty file');
    expect(reasons['IM-0005-0001.jpeg']).toBe('not a JPEG or PNG image');
    expect(reasons['IM-0004-0001.jpeg']).toBeTruthy();
    expect(loaded.pixels.length).toBe(3 * 32 * 32);
    expect(Array.from(loaded.labels)).toEqual([0, 0, 1]);
  });

  it('caches decoded images, keyed by file size, mtime and preprocessing', () => {
    const root = tmp();
    const cacheDir = tmp();
    writeSyntheticDataset(root, { perClass: { train: 3, val: 0, test: 0 }, seed: 5, sizeRange: [40, 40] });
    const { records } = discover(root, 'three-class', ['train']);
    const first = loadImages(records, { size: 32, fit: 'stretch', cacheDir });
    const second = loadImages(records, { size: 32, fit: 'stretch', cacheDir });
    expect(first.fromCache).toBe(false);
    expect(second.fromCache).toBe(true);
    expect(Array.from(second.pixels)).toEqual(Array.from(first.pixels));
    expect(loadImages(records, { size: 16, fit: 'stretch', cacheDir }).fromCache).toBe(false);
    writeFileSync(records[0]!.path, encodeJpeg(renderXray(2, new Generator(9), 40, 40)));
    expect(loadImages(records, { size: 32, fit: 'stretch', cacheDir }).fromCache).toBe(false);
  });

  it('splits by patient, stratified, with no patient on both sides', () => {
    const recs = Array.from({ length: 200 }, (_, i) => ({ label: i % 3, patient: `p${Math.floor(i / 2)}` }));
    const g = new Generator(4);
    const { train, val } = patientSplit(recs, 0.2, (xs) => g.shuffle(xs));
    const trainPatients = new Set(train.map((r) => r.patient));
    expect(val.every((r) => !trainPatients.has(r.patient))).toBe(true);
    expect(val.length).toBeGreaterThan(30);
    expect(val.length).toBeLessThan(50);
    for (const c of [0, 1, 2]) expect(val.some((r) => r.label === c)).toBe(true);
  });
});
