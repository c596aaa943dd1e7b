import { describe, expect, it } from 'vitest';
import { Generator } from '@pneumo/nn';
import type { GreyImage } from './image.js';
import { gaussianBlur, PERTURBATIONS, perturbationGenerator, rotate, zoom } from './perturb.js';

const image = (w: number, h: number, f: (x: number, y: number) => number): GreyImage => {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, data };
};
const maxDiff = (a: GreyImage, b: GreyImage) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

describe('acquisition perturbations', () => {
  const xray = image(231, 197, (x, y) => 0.5 + 0.3 * Math.sin(x / 5) * Math.cos(y / 7) + ((x * 7 + y * 3) % 11) / 60);

  it('blur keeps a flat image flat and the mean of a textured one, and smooths it', () => {
    const flat = image(20, 15, () => 0.4);
    expect(maxDiff(gaussianBlur(flat, 2), flat)).toBeLessThan(1e-6);
    const b = gaussianBlur(xray, 1.5);
    const mean = (im: GreyImage) => im.data.reduce((s, v) => s + v, 0) / im.data.length;
    expect(Math.abs(mean(b) - mean(xray))).toBeLessThan(0.01);
    const roughness = (im: GreyImage) =>
      im.data.reduce((s, v, i) => s + (i % im.width ? Math.abs(v - im.data[i - 1]!) : 0), 0);
    expect(roughness(b)).toBeLessThan(0.6 * roughness(xray));
  });

  it('zoom 1 and rotation 0 are the identity; a quarter turn moves a pixel where it should', () => {
    expect(maxDiff(zoom(xray, 1), xray)).toBeLessThan(1e-6);
    expect(maxDiff(rotate(xray, 0), xray)).toBeLessThan(1e-6);
    const dot = image(5, 5, (x, y) => (x === 4 && y === 2 ? 1 : 0));
    const turned = rotate(dot, 90);
    // Clockwise on screen (y down): the right-middle pixel goes to the bottom-middle.
    expect(turned.data[4 * 5 + 2]).toBeCloseTo(1, 5);
    // Zooming in by 2 doubles distances from the centre.
    const ring = image(9, 9, (x, y) => (x === 5 && y === 4 ? 1 : 0));
    expect(zoom(ring, 2).data[4 * 9 + 6]).toBeCloseTo(1, 5);
  });

  it('every perturbation keeps the size and [0, 1], changes the image, and is reproducible from its seed', () => {
    expect(PERTURBATIONS).toHaveLength(16);
    expect(new Set(PERTURBATIONS.map((p) => p.family)).size).toBe(8);
    PERTURBATIONS.forEach((p, i) => {
      const a = p.apply(xray, perturbationGenerator(1, i, 0));
      expect([a.width, a.height]).toEqual([231, 197]);
      expect(a.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(maxDiff(a, xray), p.name).toBeGreaterThan(0.01);
      expect(maxDiff(p.apply(xray, perturbationGenerator(1, i, 0)), a)).toBe(0);
    });
    const noise = PERTURBATIONS.find((p) => p.family === 'noise')!;
    expect(maxDiff(noise.apply(xray, new Generator(1)), noise.apply(xray, new Generator(2)))).toBeGreaterThan(0.01);
  });
});
