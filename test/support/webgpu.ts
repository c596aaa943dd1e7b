import { gpuContext, init } from '@pneumo/tensor/node';

/**
 * Creates the WebGPU device for a test file. There is no skip: a machine
 * without an adapter fails the WebGPU tests with the reason (CI must never go
 * green by skipping them).
 */
export async function requireWebGpu(): Promise<void> {
  if (gpuContext()) return;
  try {
    await init({ device: 'webgpu' });
  } catch (e) {
    throw new Error(`WebGPU tests need an adapter and none could be created:\n${(e as Error).message}`);
  }
}

export { maxAbsDiff, maxRelDiff } from './compare.js';
