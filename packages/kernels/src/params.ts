/**
 * Kernel parameters travel in a uniform block. WGSL uniform layout rules make
 * arrays awkward (16-byte element stride), so every kernel declares its
 * parameters as a flat list of u32 / i32 / f32 scalars, and index vectors of
 * rank <= 8 as two vec4<u32>. This file is the one place that lays them out:
 * the WGSL struct and the bytes written for it come from the same spec.
 */
export type ParamType = 'u32' | 'i32' | 'f32' | 'vec8u';
export type ParamSpec = readonly (readonly [name: string, type: ParamType])[];
export type ParamValues = Record<string, number | readonly number[]>;

/** Largest rank carried by a `vec8u` parameter. */
export const MAX_PARAM_RANK = 8;

/** The WGSL struct declaration for a spec. */
export function paramStruct(spec: ParamSpec, name = 'Params'): string {
  const fields: string[] = [];
  let offset = 0;
  let pad = 0;
  for (const [field, type] of spec) {
    if (type === 'vec8u') {
      // vec4 fields must be 16-byte aligned: insert explicit padding scalars.
      while (offset % 16 !== 0) {
        fields.push(`  _pad${pad++}: u32,`);
        offset += 4;
      }
      fields.push(`  ${field}: array<vec4<u32>, 2>,`);
      offset += 32;
    } else {
      fields.push(`  ${field}: ${type},`);
      offset += 4;
    }
  }
  if (fields.length === 0) fields.push('  _unused: u32,');
  return `struct ${name} {\n${fields.join('\n')}\n}`;
}

/** Bytes of a spec's struct, rounded up to 16 as uniform blocks must be. */
export function paramBytes(spec: ParamSpec): number {
  let offset = 0;
  for (const [, type] of spec) {
    if (type === 'vec8u') offset = Math.ceil(offset / 16) * 16 + 32;
    else offset += 4;
  }
  return Math.max(16, Math.ceil(offset / 16) * 16);
}

/** Writes the values of a spec into `view` at `base`. Throws on missing or non-finite values. */
export function writeParams(view: DataView, base: number, spec: ParamSpec, values: ParamValues, kernel: string): void {
  let offset = 0;
  for (const [field, type] of spec) {
    const v = values[field];
    if (v === undefined) throw new Error(`${kernel}: missing parameter '${field}'`);
    if (type === 'vec8u') {
      offset = Math.ceil(offset / 16) * 16;
      const arr = v as readonly number[];
      if (!Array.isArray(arr) || arr.length > MAX_PARAM_RANK) {
        throw new Error(`${kernel}: parameter '${field}' must be an array of at most ${MAX_PARAM_RANK} numbers`);
      }
      for (let i = 0; i < MAX_PARAM_RANK; i++) view.setUint32(base + offset + 4 * i, arr[i] ?? 0, true);
      offset += 32;
      continue;
    }
    const x = v as number;
    if (typeof x !== 'number' || Number.isNaN(x)) throw new Error(`${kernel}: parameter '${field}' is not a number`);
    if (type === 'f32') view.setFloat32(base + offset, x, true);
    else if (type === 'i32') view.setInt32(base + offset, x, true);
    else {
      if (x < 0 || x > 0xffffffff || !Number.isInteger(x)) {
        throw new Error(`${kernel}: parameter '${field}' = ${x} does not fit in a u32`);
      }
      view.setUint32(base + offset, x, true);
    }
    offset += 4;
  }
}
