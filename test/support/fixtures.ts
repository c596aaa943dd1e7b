import { readFileSync } from 'node:fs';
import { tensor, type DeviceName, type Tensor } from '@pneumo/tensor';

export interface Encoded {
  shape: number[];
  f32?: string;
  i32?: string;
}

/** Decodes a fixture tensor's values. */
export function decode(e: Encoded): Float32Array | Int32Array {
  const bytes = Buffer.from(e.f32 ?? e.i32!, 'base64');
  const copy = new Uint8Array(bytes).buffer;
  return e.f32 !== undefined ? new Float32Array(copy) : new Int32Array(copy);
}

/** A fixture tensor on `device`. */
export function load(e: Encoded, device: DeviceName, requiresGrad = false): Tensor {
  return tensor(decode(e), { shape: e.shape, device, requiresGrad });
}

export function readFixtures<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}
