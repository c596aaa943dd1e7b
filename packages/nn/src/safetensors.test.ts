import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Linear, Sequential, ReLU } from './index.js';
import { loadSafetensors, saveSafetensors } from './node.js';
import {
  floatToHalf,
  halfToFloat,
  INT8_SCALES,
  MAX_HEADER_BYTES,
  parseSafetensors,
  quantizeInt8,
  serializeSafetensors,
} from './safetensors.js';

function file(header: unknown, data = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors and metadata, float32 and int32, data 8-byte aligned', () => {
    const bytes = serializeSafetensors(
      [
        ['a.weight', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) }],
        ['n', { shape: [], data: new Int32Array([7]) }],
      ],
      { format: 'pt', epoch: '3' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const f = parseSafetensors(bytes);
    expect(f.metadata).toEqual({ format: 'pt', epoch: '3' });
    expect(f.tensors.get('a.weight')).toMatchObject({ dtype: 'F32', shape: [2, 3] });
    expect(Array.from(f.tensors.get('a.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(Array.from(f.tensors.get('n')!.data)).toEqual([7]);
  });

  it('reads the dtypes PyTorch writes (I64 for counters, F16, BF16, F64)', () => {
    const data = new Uint8Array(8 + 2 + 2 + 8);
    const v = new DataView(data.buffer);
    v.setBigInt64(0, 42n, true);
    v.setUint16(8, 0x3c00, true); // 1.0 in half precision
    v.setUint16(10, 0x4040, true); // 3.0 in bfloat16
    v.setFloat64(12, -2.5, true);
    const f = parseSafetensors(
      file(
        {
          n: { dtype: 'I64', shape: [], data_offsets: [0, 8] },
          h: { dtype: 'F16', shape: [1], data_offsets: [8, 10] },
          b: { dtype: 'BF16', shape: [1], data_offsets: [10, 12] },
          d: { dtype: 'F64', shape: [1], data_offsets: [12, 20] },
        },
        data,
      ),
    );
    expect([...f.tensors.values()].map((t) => t.data[0])).toEqual([42, 1, 3, -2.5]);
  });

  const f32 = (n: number) => new Uint8Array(4 * n);
  it.each([
    ['a truncated file', new Uint8Array(5), 'file too short'],
    ['a header length past the end', file({}, new Uint8Array(0), 1000n), 'runs past the end of the file'],
    ['a huge header length', file({}, new Uint8Array(0), BigInt(MAX_HEADER_BYTES) + 1n), 'exceeds the limit'],
    [
      'a header that is not JSON',
      (() => {
        const b = file({ a: 1 });
        b[9] = 0x7b;
        b[10] = 0x7b;
        return b;
      })(),
      'not valid JSON',
    ],
    ['an unknown dtype', file({ t: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, f32(1)), 'unknown dtype "Q7"'],
    [
      'offsets out of range',
      file({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)),
      'lie outside the 4 data bytes',
    ],
    [
      'a shape that does not match the bytes',
      file({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)),
      'needs 12 bytes, its offsets give 8',
    ],
    [
      'overlapping tensors',
      file(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        f32(2),
      ),
      'overlaps',
    ],
    ['a gap in the data', file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), 'gap in the data'],
    ['trailing bytes', file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), 'belong to no tensor'],
    ['a negative dimension', file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), 'invalid shape'],
    [
      'an int64 too large for int32',
      file({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0])),
      'does not fit in int32',
    ],
  ])('rejects %s', (_, bytes, message) => {
    expect(() => parseSafetensors(bytes)).toThrow(message);
  });

  it('saves and loads a model state dict through a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pneumo-st-'));
    const a = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    await saveSafetensors(join(dir, 'm.safetensors'), a.stateDict(), { arch: 'test' });
    const { dict, metadata } = loadSafetensors(join(dir, 'm.safetensors'));
    expect(metadata).toEqual({ arch: 'test' });
    const b = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    b.loadStateDict(dict);
    for (const [k, t] of a.stateDict())
      expect(Array.from(await b.stateDict().get(k)!.data())).toEqual(Array.from(await t.data()));
    writeFileSync(join(dir, 'bad.safetensors'), new Uint8Array(3));
    expect(() => loadSafetensors(join(dir, 'bad.safetensors'))).toThrow(
      /bad\.safetensors: safetensors: file too short/,
    );
    expect(() => loadSafetensors(join(dir, 'missing.safetensors'))).toThrow(/cannot read/);
  });

  describe('float16 writing', () => {
    it('round-trips every half bit pattern exactly (NaN stays NaN)', () => {
      for (let h = 0; h < 0x10000; h++) {
        const v = halfToFloat(h);
        if (Number.isNaN(v)) expect(Number.isNaN(halfToFloat(floatToHalf(v)))).toBe(true);
        else expect(floatToHalf(v), `0x${h.toString(16)}`).toBe(h);
      }
    });

    it('rounds to the nearest half, ties to even, subnormals and overflow included', () => {
      expect(halfToFloat(floatToHalf(1 + 2 ** -11))).toBe(1); // tie between 1 and 1+2^-10: even is 1
      expect(halfToFloat(floatToHalf(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie: even is 1+2^-9
      expect(halfToFloat(floatToHalf(1 + 2 ** -11 + 2 ** -20))).toBe(1 + 2 ** -10); // just above the tie
      expect(halfToFloat(floatToHalf(2 ** -24))).toBe(2 ** -24); // smallest subnormal
      expect(halfToFloat(floatToHalf(2 ** -26))).toBe(0); // below half of it
      expect(halfToFloat(floatToHalf(3 * 2 ** -25))).toBe(2 ** -23); // subnormal tie rounds to even
      expect(halfToFloat(floatToHalf(-0.1))).toBeCloseTo(-0.1, 4);
      expect(halfToFloat(floatToHalf(65504))).toBe(65504);
      expect(halfToFloat(floatToHalf(65520))).toBe(Infinity); // rounds past the largest half
    });

    it('writes F16 tensors at half the size, read back within half precision; refuses values beyond its range', () => {
      const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
      const full = serializeSafetensors([
        ['w', { shape: [1000], data }],
        ['n', { shape: [1], data: Int32Array.of(7) }],
      ]);
      const half = serializeSafetensors(
        [
          ['w', { shape: [1000], data }],
          ['n', { shape: [1], data: Int32Array.of(7) }],
        ],
        { a: 'b' },
        { floatDtype: 'F16' },
      );
      expect(half.byteLength).toBeLessThan(full.byteLength * 0.55);
      const f = parseSafetensors(half);
      expect(f.tensors.get('w')!.dtype).toBe('F16');
      expect(f.tensors.get('n')).toMatchObject({ dtype: 'I32', data: Int32Array.of(7) });
      expect(f.metadata).toEqual({ a: 'b' });
      const back = f.tensors.get('w')!.data;
      data.forEach((v, i) =>
        expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25)),
      );
      expect(() =>
        serializeSafetensors([['big', { shape: [2], data: Float32Array.of(1, 7e4) }]], {}, { floatDtype: 'F16' }),
      ).toThrow(/big\[1\] = 70000 does not fit in float16/);
    });
  });

  describe('int8 weights', () => {
    it('writes float tensors as I8 with one scale each (a quarter of the bytes), read back within half a step of the scale', () => {
      const w = Float32Array.from({ length: 9999 }, (_, i) => Math.sin(i * 0.37) * 0.05);
      const b = Float32Array.of(0.5, -2, 1.25);
      const entries: [string, { shape: number[]; data: Float32Array | Int32Array }][] = [
        ['w', { shape: [9, 1111], data: w }],
        ['b', { shape: [3], data: b }],
        ['n', { shape: [1], data: Int32Array.of(-3) }],
        ['z', { shape: [2], data: new Float32Array(2) }],
      ];
      const full = serializeSafetensors(entries);
      const q = serializeSafetensors(entries, { note: 'x' }, { floatDtype: 'I8' });
      expect(q.byteLength).toBeLessThan(full.byteLength * 0.3);
      const f = parseSafetensors(q);
      expect(f.metadata.note).toBe('x');
      const scales = JSON.parse(f.metadata[INT8_SCALES]!) as Record<string, number>;
      expect(Object.keys(scales).sort()).toEqual(['b', 'w', 'z']);
      expect(scales.b).toBeCloseTo(2 / 127, 9);
      for (const [name, data] of [
        ['w', w],
        ['b', b],
      ] as const) {
        const e = f.tensors.get(name)!;
        expect(e.dtype).toBe('I8');
        expect(e.data).toBeInstanceOf(Float32Array);
        data.forEach((v, i) =>
          expect(Math.abs(e.data[i]! - v)).toBeLessThanOrEqual((scales[name]! / 2) * (1 + 1e-5) + 1e-8),
        );
      }
      // The largest magnitude is exact (it defines the scale); int tensors are left alone; zeros stay zeros.
      expect(f.tensors.get('b')!.data[1]).toBeCloseTo(-2, 6);
      expect(f.tensors.get('n')).toMatchObject({ dtype: 'I32', data: Int32Array.of(-3) });
      expect(Array.from(f.tensors.get('z')!.data)).toEqual([0, 0]);
      expect(quantizeInt8(Float32Array.of(1, -1, 0.5)).q).toEqual(Int8Array.of(127, -127, 64));
    });

    it('refuses broken scales and non-finite weights', () => {
      const i8 = (scales: unknown) =>
        file(
          {
            __metadata__: { [INT8_SCALES]: typeof scales === 'string' ? scales : JSON.stringify(scales) },
            q: { dtype: 'I8', shape: [2], data_offsets: [0, 2] },
            f: { dtype: 'F32', shape: [1], data_offsets: [2, 6] },
          },
          new Uint8Array(6),
        );
      expect(() => parseSafetensors(i8({ q: 0.5 }))).not.toThrow();
      expect(() => parseSafetensors(i8('{'))).toThrow(/int8_scales is not valid JSON/);
      expect(() => parseSafetensors(i8([1]))).toThrow(/must be an object/);
      expect(() => parseSafetensors(i8({ nope: 1 }))).toThrow(/names 'nope', which is not a tensor/);
      expect(() => parseSafetensors(i8({ f: 1 }))).toThrow(/dtype is F32, not I8/);
      expect(() => parseSafetensors(i8({ q: -1 }))).toThrow(/must be a positive number/);
      expect(() => parseSafetensors(i8({ q: 'big' }))).toThrow(/must be a positive number/);
      expect(() =>
        serializeSafetensors([['w', { shape: [1], data: Float32Array.of(NaN) }]], {}, { floatDtype: 'I8' }),
      ).toThrow(/non-finite/);
      expect(() =>
        serializeSafetensors(
          [['w', { shape: [1], data: Float32Array.of(1) }]],
          { [INT8_SCALES]: '{}' },
          { floatDtype: 'I8' },
        ),
      ).toThrow(/writer's own/);
    });
  });
});
