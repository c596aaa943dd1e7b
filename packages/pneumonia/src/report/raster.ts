/** A tiny RGB raster for report charts: rectangles, lines and a 3x5 pixel font. */
import { PNG } from 'pngjs';

export type Rgb = [number, number, number];

// 3x5 glyphs, rows top to bottom, 3 bits each (MSB left).
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 1, 1], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2], '%': [5, 1, 2, 4, 5], '-': [0, 0, 7, 0, 0], ':': [0, 2, 0, 2, 0], ' ': [0, 0, 0, 0, 0],
  '/': [1, 1, 2, 4, 4], '(': [1, 2, 2, 2, 1], ')': [4, 2, 2, 2, 4],
  a: [7, 5, 7, 5, 5], b: [6, 5, 6, 5, 6], c: [7, 4, 4, 4, 7], d: [6, 5, 5, 5, 6], e: [7, 4, 6, 4, 7],
  f: [7, 4, 6, 4, 4], g: [7, 4, 5, 5, 7], h: [5, 5, 7, 5, 5], i: [7, 2, 2, 2, 7], j: [1, 1, 1, 5, 7],
  k: [5, 5, 6, 5, 5], l: [4, 4, 4, 4, 7], m: [5, 7, 7, 5, 5], n: [6, 5, 5, 5, 5], o: [7, 5, 5, 5, 7],
  p: [7, 5, 7, 4, 4], q: [7, 5, 5, 7, 1], r: [6, 5, 6, 5, 5], s: [7, 4, 7, 1, 7], t: [7, 2, 2, 2, 2],
  u: [5, 5, 5, 5, 7], v: [5, 5, 5, 5, 2], w: [5, 5, 7, 7, 5], x: [5, 5, 2, 5, 5], y: [5, 5, 2, 2, 2], z: [7, 1, 2, 4, 7],
};

export class Raster {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 3);
    this.rect(0, 0, width, height, background);
  }

  pixel(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data.set(c, 3 * (y * this.width + x));
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = Math.max(0, Math.round(y)); j < Math.min(this.height, Math.round(y + h)); j++) {
      for (let i = Math.max(0, Math.round(x)); i < Math.min(this.width, Math.round(x + w)); i++) this.data.set(c, 3 * (j * this.width + i));
    }
  }

  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thick = 2): void {
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 2));
    for (let s = 0; s <= n; s++) {
      const x = x0 + ((x1 - x0) * s) / n;
      const y = y0 + ((y1 - y0) * s) / n;
      this.rect(x - thick / 2, y - thick / 2, thick, thick, c);
    }
  }

  /** Text in the 3x5 font at `scale` (unknown characters are left blank). */
  text(x: number, y: number, s: string, c: Rgb, scale = 2): void {
    let cx = x;
    for (const ch of s.toLowerCase()) {
      const g = GLYPHS[ch];
      if (g) {
        g.forEach((row, r) => {
          for (let b = 0; b < 3; b++) if (row & (4 >> b)) this.rect(cx + b * scale, y + r * scale, scale, scale, c);
        });
      }
      cx += 4 * scale;
    }
  }

  textWidth(s: string, scale = 2): number {
    return s.length * 4 * scale - scale;
  }

  png(): Uint8Array {
    const png = new PNG({ width: this.width, height: this.height });
    for (let i = 0; i < this.width * this.height; i++) {
      png.data[4 * i] = this.data[3 * i]!;
      png.data[4 * i + 1] = this.data[3 * i + 1]!;
      png.data[4 * i + 2] = this.data[3 * i + 2]!;
      png.data[4 * i + 3] = 255;
    }
    return new Uint8Array(PNG.sync.write(png));
  }
}
