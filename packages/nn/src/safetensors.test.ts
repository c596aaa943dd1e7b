import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Linear, Sequential, ReLU } from './index.js';
import { loadSafetensors, saveSafetensors } from './node.js';
import { MAX_HEADER_BYTES, parseSafetensors, serializeSafetensors } from './safetensors.js';

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
    ['a header that is not JSON', (() => { const b = file({ a: 1 }); b[9] = 0x7b; b[10] = 0x7b; return b; })(), 'not valid JSON'],
    ['an unknown dtype', file({ t: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, f32(1)), "unknown dtype \"Q7\""],
    ['offsets out of range', file({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), 'lie outside the 4 data bytes'],
    ['a shape that does not match the bytes', file({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), 'needs 12 bytes, its offsets give 8'],
    ['overlapping tensors', file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), 'overlaps'],
    ['a gap in the data', file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), 'gap in the data'],
    ['trailing bytes', file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), 'belong to no tensor'],
    ['a negative dimension', file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), 'invalid shape'],
    ['an int64 too large for int32', file({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0])), 'does not fit in int32'],
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
    for (const [k, t] of a.stateDict()) expect(Array.from(await b.stateDict().get(k)!.data())).toEqual(Array.from(await t.data()));
    writeFileSync(join(dir, 'bad.safetensors'), new Uint8Array(3));
    expect(() => loadSafetensors(join(dir, 'bad.safetensors'))).toThrow(/bad\.safetensors: safetensors: file too short/);
    expect(() => loadSafetensors(join(dir, 'missing.safetensors'))).toThrow(/cannot read/);
  });
});
