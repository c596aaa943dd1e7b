/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes
 * of JSON {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__:
 * {string: string}}, then the data. Readable by PyTorch's `safetensors`
 * package, and files it writes read here.
 *
 * int8 weights: a float tensor may be stored as I8 with one scale per
 * tensor (symmetric, value = int8 · scale), the scales in the metadata
 * entry `int8_scales` (a JSON object name -> scale); reading gives the
 * float32 values back. A quarter of float32's bytes, for weights whose
 * outputs tolerate it (the caller checks that).
 *
 * Reading trusts nothing: the header length is bounded, every entry must
 * have a known dtype, a shape whose size matches its byte range, and offsets
 * inside the data that neither overlap nor leave gaps.
 */
import { type DeviceName, type Tensor, tensor } from '@pneumo/tensor';

/** Headers above this are rejected before anything is allocated. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPE_BYTES: Record<string, number> = {
  F32: 4,
  F64: 8,
  F16: 2,
  BF16: 2,
  I32: 4,
  I64: 8,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** Values as float32 (F*, and I8 tensors with an int8 scale) or int32 (I*, U8, BOOL), converted from the stored dtype. */
  data: Float32Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}

export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.byteLength < 8) fail(`file too short (${bytes.byteLength} bytes): no header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.byteLength)
    fail(`header length ${headerLen} runs past the end of the file (${bytes.byteLength} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') fail(`entry '${name}' is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES))
      fail(`tensor '${name}' has unknown dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen)
      fail(`tensor '${name}' data_offsets [${begin}, ${end}] lie outside the ${dataLen} data bytes`);
    const shape = e.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    const size = DTYPE_BYTES[e.dtype]!;
    if (count * size !== end - begin) {
      fail(
        `tensor '${name}' of shape [${shape.join(', ')}] and dtype ${e.dtype} needs ${count * size} bytes, its offsets give ${end - begin}`,
      );
    }
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype: e.dtype, shape, data: decode(bytes, dataStart + begin, count, e.dtype) });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [begin, end, name] of ranges) {
    if (begin < at) fail(`tensor '${name}' overlaps the tensor before it`);
    if (begin > at) fail(`gap in the data before tensor '${name}' (bytes ${at}..${begin})`);
    at = end;
  }
  if (at !== dataLen) fail(`${dataLen - at} bytes of data after the last tensor belong to no tensor`);
  if (INT8_SCALES in metadata) dequantize(tensors, metadata[INT8_SCALES]!);
  return { tensors, metadata };
}

/** The metadata entry holding the per-tensor scales of int8-stored float tensors. */
export const INT8_SCALES = 'int8_scales';

function dequantize(tensors: Map<string, SafetensorsEntry>, json: string): void {
  let scales: unknown;
  try {
    scales = JSON.parse(json);
  } catch (e) {
    fail(`${INT8_SCALES} is not valid JSON: ${(e as Error).message}`);
  }
  if (!scales || typeof scales !== 'object' || Array.isArray(scales))
    fail(`${INT8_SCALES} must be an object of tensor name -> scale`);
  for (const [name, scale] of Object.entries(scales as Record<string, unknown>)) {
    const e = tensors.get(name);
    if (!e) fail(`${INT8_SCALES} names '${name}', which is not a tensor of the file`);
    if (e.dtype !== 'I8') fail(`${INT8_SCALES} names '${name}', whose dtype is ${e.dtype}, not I8`);
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0)
      fail(`the int8 scale of '${name}' must be a positive number, got ${JSON.stringify(scale)}`);
    e.data = Float32Array.from(e.data, (q) => q * scale);
  }
}

/** Symmetric per-tensor int8: scale = max |v| / 127 (1 for an all-zero tensor), q = round(v / scale). */
export function quantizeInt8(data: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (const v of data) {
    if (!Number.isFinite(v)) fail(`cannot store a non-finite value (${v}) as int8`);
    max = Math.max(max, Math.abs(v));
  }
  const scale = max > 0 ? max / 127 : 1;
  return { q: Int8Array.from(data, (v) => Math.max(-127, Math.min(127, Math.round(v / scale)))), scale };
}

function decode(bytes: Uint8Array, at: number, count: number, dtype: string): Float32Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * DTYPE_BYTES[dtype]!);
  const isFloat = dtype.startsWith('F') || dtype === 'BF16';
  const out = isFloat ? new Float32Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32':
        out[i] = view.getFloat32(4 * i, true);
        break;
      case 'F64':
        out[i] = view.getFloat64(8 * i, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(2 * i, true));
        break;
      case 'BF16':
        out[i] = new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0]!;
        break;
      case 'I32':
        out[i] = view.getInt32(4 * i, true);
        break;
      case 'I64': {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) fail(`an int64 value (${v}) does not fit in int32`);
        out[i] = Number(v);
        break;
      }
      case 'I16':
        out[i] = view.getInt16(2 * i, true);
        break;
      case 'I8':
        out[i] = view.getInt8(i);
        break;
      default:
        out[i] = view.getUint8(i);
    }
  }
  return out;
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * float32 -> IEEE half (binary16), rounding to nearest even; subnormals kept.
 * Values beyond the half range become ±Infinity (callers refuse them).
 */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: shift the mantissa (with its implicit 1) into place, rounding to nearest even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

export interface SerializeOptions {
  /**
   * Store float tensors as 'F32' (default), 'F16' (half the size; values
   * must fit the half range) or 'I8' (a quarter: symmetric int8 with one
   * scale per tensor, recorded in the metadata's `int8_scales`).
   */
  floatDtype?: 'F32' | 'F16' | 'I8';
}

/** Serializes named values (float32 -> F32 or F16, int32 -> I32). */
export function serializeSafetensors(
  entries: Iterable<[string, { shape: readonly number[]; data: Float32Array | Int32Array }]>,
  metadata: Record<string, string> = {},
  options: SerializeOptions = {},
): Uint8Array {
  const floatDtype = options.floatDtype ?? 'F32';
  if (floatDtype !== 'F32' && floatDtype !== 'F16' && floatDtype !== 'I8')
    fail(`cannot write float dtype '${String(floatDtype)}' (F32, F16 or I8)`);
  if (INT8_SCALES in metadata) fail(`the metadata entry '${INT8_SCALES}' is the writer's own`);
  const header: Record<string, unknown> = {};
  const scales: Record<string, number> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, { shape, data }] of entries) {
    if (name === '__metadata__') fail("'__metadata__' cannot name a tensor");
    let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let dtype = data instanceof Int32Array ? 'I32' : 'F32';
    if (dtype === 'F32' && floatDtype === 'F16') {
      const halves = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) {
        halves[i] = floatToHalf(data[i]!);
        if ((halves[i]! & 0x7c00) === 0x7c00 && Number.isFinite(data[i]!))
          fail(`${name}[${i}] = ${data[i]} does not fit in float16 (max 65504)`);
      }
      // Little-endian on every platform JavaScript runs on that we support; checked, not assumed.
      if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) fail('float16 writing needs a little-endian host');
      bytes = new Uint8Array(halves.buffer);
      dtype = 'F16';
    } else if (dtype === 'F32' && floatDtype === 'I8') {
      const { q, scale } = quantizeInt8(data as Float32Array);
      bytes = new Uint8Array(q.buffer);
      dtype = 'I8';
      scales[name] = scale;
    }
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const meta = Object.keys(scales).length > 0 ? { ...metadata, [INT8_SCALES]: JSON.stringify(scales) } : metadata;
  let json = JSON.stringify(Object.keys(meta).length > 0 ? { __metadata__: meta, ...header } : header);
  // Pad the header with spaces to keep the data 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).byteLength) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let at = 8 + head.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A state dict (reads every tensor back from its device) as safetensors bytes. */
export async function stateDictToSafetensors(
  dict: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const entries: [string, { shape: readonly number[]; data: Float32Array | Int32Array }][] = [];
  for (const [name, t] of dict) entries.push([name, { shape: t.shape, data: await t.data() }]);
  return serializeSafetensors(entries, metadata);
}

/** Tensors (on `device`) from safetensors bytes. */
export function safetensorsToStateDict(
  bytes: Uint8Array,
  device?: DeviceName,
): { dict: Map<string, Tensor>; metadata: Record<string, string> } {
  const file = parseSafetensors(bytes);
  const dict = new Map<string, Tensor>();
  for (const [name, e] of file.tensors) dict.set(name, tensor(e.data, { shape: e.shape, device }));
  return { dict, metadata: file.metadata };
}
