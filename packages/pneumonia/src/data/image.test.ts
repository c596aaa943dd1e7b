import { readFileSync } from 'node:fs';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { CHEST_MARGIN, clahe, decodeGrey, equalize, fitSquare, preprocess, resizeArea, sniffFormat } from './image.js';
import { encodeJpeg, encodePng } from './synthetic.js';

const img = (w: number, h: number, f: (x: number, y: number) => number) => {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, data };
};

describe('resizeArea', () => {
  it('averages exact blocks when the factor is an integer', () => {
    const src = img(4, 4, (x, y) => x + 4 * y);
    const out = resizeArea(src, 2, 2);
    expect(Array.from(out.data)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('weights partial pixels by coverage for fractional factors', () => {
    // 3 -> 2: output 0 covers source [0, 1.5): (v0 + 0.5 v1) / 1.5.
    const out = resizeArea(
      img(3, 1, (x) => [3, 6, 9][x]!),
      2,
      1,
    );
    expect(out.data[0]).toBeCloseTo((3 + 0.5 * 6) / 1.5, 6);
    expect(out.data[1]).toBeCloseTo((0.5 * 6 + 9) / 1.5, 6);
  });

  it('keeps the mean of the image and does not alias a fine stripe pattern', () => {
    const stripes = img(256, 256, (x) => x % 2);
    const out = resizeArea(stripes, 32, 32);
    for (const v of out.data) expect(v).toBeCloseTo(0.5, 5);
    const odd = img(97, 61, (x, y) => Math.sin(x * 0.3) * Math.cos(y * 0.2) + 1);
    const small = resizeArea(odd, 32, 32);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(small.data)).toBeCloseTo(mean(odd.data), 4);
  });

  it('pads or crops to a square', () => {
    const wide = img(4, 2, () => 1);
    const padded = fitSquare(wide, 'pad');
    expect([padded.width, padded.height]).toEqual([4, 4]);
    expect(Array.from(padded.data)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    const cropped = fitSquare(
      img(4, 2, (x) => x),
      'crop',
    );
    expect(Array.from(cropped.data)).toEqual([1, 2, 1, 2]);
  });

  it("drops the border for the 'chest' fit", () => {
    expect(CHEST_MARGIN).toBe(0.08);
    const src = img(100, 50, (x, y) => x + 1000 * y);
    const chest = fitSquare(src, 'chest');
    expect([chest.width, chest.height]).toEqual([84, 42]);
    expect(chest.data[0]).toBe(8 + 1000 * 4);
    expect(chest.data[chest.data.length - 1]).toBe(91 + 1000 * 45);
  });
});

describe('equalize (contrast normalization)', () => {
  it('spreads a low-contrast image over [0, 1], keeps the order of values, and leaves a flat image alone', () => {
    const data = Float32Array.from({ length: 64 }, (_, i) => 0.4 + (i % 16) * 0.01);
    const e = equalize({ width: 8, height: 8, data });
    expect(Math.min(...e.data)).toBe(0);
    expect(Math.max(...e.data)).toBe(1);
    for (let i = 1; i < 16; i++) expect(e.data[i]!).toBeGreaterThan(e.data[i - 1]!);
    // Each of the 16 levels holds 1/16 of the pixels: the output steps evenly.
    expect(e.data[8]! - e.data[7]!).toBeCloseTo(1 / 15, 5);
    const flat = equalize({ width: 2, height: 2, data: new Float32Array(4).fill(0.3) });
    expect(Array.from(flat.data)).toEqual(Array.from(new Float32Array(4).fill(0.3)));
  });

  it('makes two exposures of the same image preprocess alike', () => {
    const img = (gain: number) => ({
      width: 16,
      height: 16,
      data: Float32Array.from({ length: 256 }, (_, i) =>
        Math.min(1, gain * (0.2 + 0.5 * Math.abs(Math.sin(i * 0.37)))),
      ),
    });
    const dark = encodePng(img(0.6));
    const bright = encodePng(img(1.2));
    const diff = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    const plain = diff(preprocess(dark, 8).data, preprocess(bright, 8).data);
    const eq = diff(preprocess(dark, 8, 'stretch', 'equalize').data, preprocess(bright, 8, 'stretch', 'equalize').data);
    expect(plain).toBeGreaterThan(0.1);
    expect(eq).toBeLessThan(plain / 4);
  });
});

describe('clahe (adaptive contrast normalization)', () => {
  const range = (a: number[]) => Math.max(...a) - Math.min(...a);
  // Left half dark with faint texture, right half bright with faint texture.
  const halves = img(64, 64, (x, y) => (x < 32 ? 0.1 : 0.8) + 0.05 * (((x * 7 + y * 13) % 11) / 10));
  const leftInterior = (e: { data: Float32Array }) => {
    const out: number[] = [];
    for (let y = 8; y < 56; y++) for (let x = 4; x < 12; x++) out.push(e.data[y * 64 + x]!);
    return out;
  };

  it('with one tile and no clipping is global equalization', () => {
    const src = img(37, 23, (x, y) => Math.abs(Math.sin(x * 0.3 + y * 0.11)));
    const a = clahe(src, 1, 1e9);
    const b = equalize(src);
    for (let i = 0; i < a.data.length; i++) expect(a.data[i]).toBeCloseTo(b.data[i]!, 6);
  });

  it('spreads each region over the grey range, which global equalization cannot', () => {
    const global = leftInterior(equalize(halves));
    const local = leftInterior(clahe(halves, 2, 1e9));
    expect(range(global)).toBeLessThan(0.55);
    expect(range(local)).toBeGreaterThan(0.8);
    const c = clahe(halves);
    expect(Math.min(...c.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...c.data)).toBeLessThanOrEqual(1);
  });

  it('limits how much it amplifies a nearly flat region (the clip limit)', () => {
    const noise = img(32, 32, (x, y) => 0.5 + ((x + y) % 2) / 256);
    expect(range([...equalize(noise).data])).toBe(1);
    expect(range([...clahe(noise, 2, 2).data])).toBeLessThan(0.05);
  });
});

describe('decodeGrey', () => {
  const gradient = img(20, 12, (x, y) => (x + y) / 30);

  it('decodes JPEG and 8- and 16-bit grey PNG to [0, 1]', () => {
    for (const bytes of [encodeJpeg(gradient, 95), encodePng(gradient, 8), encodePng(gradient, 16)]) {
      const d = decodeGrey(bytes);
      expect([d.width, d.height]).toEqual([20, 12]);
      let err = 0;
      for (let i = 0; i < d.data.length; i++) err = Math.max(err, Math.abs(d.data[i]! - gradient.data[i]!));
      expect(err).toBeLessThan(0.03);
    }
  });

  it('says why a file cannot be read', () => {
    expect(() => decodeGrey(new Uint8Array(0))).toThrow('empty file');
    expect(() => decodeGrey(new TextEncoder().encode('hello, not an image'))).toThrow('not a JPEG or PNG image');
    const jpeg = encodeJpeg(gradient);
    expect(() => decodeGrey(jpeg.subarray(0, 40))).toThrow();
    const png = encodePng(gradient);
    expect(() => decodeGrey(png.subarray(0, 60))).toThrow();
    expect(sniffFormat(png)).toBe('png');
    // Every chunk's CRC is checked: a chunk whose bytes and CRC disagree is a corrupt file (one bit of the stored CRC flipped).
    const idat = Buffer.from(png).indexOf('IDAT');
    const flipped = png.slice();
    flipped[idat + 4 + new DataView(png.buffer, png.byteOffset).getUint32(idat - 4)]! ^= 1;
    expect(() => decodeGrey(flipped)).toThrow(/corrupt or truncated PNG \(CRC mismatch for chunk IDAT/);
  });
});

describe('decodeGrey on PNG variants', () => {
  it('unpacks 1-bit grey and resolves a palette', () => {
    const one = encode({
      width: 10,
      height: 2,
      depth: 1,
      channels: 1,
      data: new Uint8Array([0b10101010, 0b10000000, 0xff, 0xc0]),
    });
    expect(Array.from(decodeGrey(one).data)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const pal = encode({
      width: 3,
      height: 1,
      depth: 8,
      channels: 1,
      data: new Uint8Array([2, 0, 1]),
      palette: [
        [0, 0, 0],
        [51, 51, 51],
        [255, 255, 255],
      ],
    });
    expect(Array.from(decodeGrey(pal).data)).toEqual([1, 0, 0.2].map((v) => Math.fround(v)));
  });

  it('refuses a header claiming more than MAX_PIXELS before decoding anything', () => {
    const png = encode({ width: 4, height: 4, depth: 8, channels: 1, data: new Uint8Array(16) });
    const view = new DataView(png.buffer, png.byteOffset);
    view.setUint32(16, 20000);
    view.setUint32(20, 20000);
    const before = process.memoryUsage().rss;
    expect(() => decodeGrey(png)).toThrow('unsupported image size 20000x20000');
    expect(process.memoryUsage().rss - before).toBeLessThan(100 << 20);
  });
});

describe('decodeGrey on files written by another encoder (Pillow: scripts/make-image-fixtures.py)', () => {
  const ramp = Array.from({ length: 24 }, (_, x) => Math.min(255, x * 10 + 5) / 255);
  it.each([
    ['grey-baseline.jpeg', 0.03],
    ['grey-progressive.jpeg', 0.03],
    ['rgb-progressive.jpeg', 0.03],
    ['grey.png', 1e-6],
    ['rgb.png', 1e-6],
    ['rgba.png', 1e-6],
    ['grey16.png', 1e-6],
  ])('%s', (name, tol) => {
    const bytes = readFileSync(new URL(`../../../../test/fixtures/images/${name}`, import.meta.url));
    const d = decodeGrey(new Uint8Array(bytes));
    expect([d.width, d.height]).toEqual([24, 16]);
    let err = 0;
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 24; x++) err = Math.max(err, Math.abs(d.data[y * 24 + x]! - ramp[x]!));
    expect(err).toBeLessThanOrEqual(tol);
  });
});
