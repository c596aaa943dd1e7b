/**
 * Node entry: everything in `@pneumo/nn`, with `init` creating the WebGPU
 * device through Dawn (`@pneumo/tensor/node`), and state dicts to and from
 * safetensors files.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '@pneumo/kernels/node';
import type { DeviceName, Tensor } from '@pneumo/tensor';
import { safetensorsToStateDict, stateDictToSafetensors } from './safetensors.js';

export * from './index.js';
export { init } from '@pneumo/tensor/node';
export { fsyncDir, writeFileAtomic, writeFileDurable } from '@pneumo/kernels/node';
export { metricsLog } from './training/metrics-log.js';

/** Writes atomically (a temporary file, fsynced, renamed into place). */
export async function saveSafetensors(
  path: string,
  dict: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  writeFileAtomic(path, await stateDictToSafetensors(dict, metadata));
}

export function loadSafetensors(
  path: string,
  device?: DeviceName,
): { dict: Map<string, Tensor>; metadata: Record<string, string> } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return safetensorsToStateDict(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), device);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
