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

/**
 * The backends a test that runs on both compares: the cpu backend too,
 * except in CI's passes on other adapters and kernel classes
 * (PNEUMO_SKIP_CPU_TESTS=1), where the cpu backend would only repeat what
 * the first pass checked.
 */
export function backendsUnderTest(): ('webgpu' | 'cpu')[] {
  return process.env.PNEUMO_SKIP_CPU_TESTS === '1' ? ['webgpu'] : ['webgpu', 'cpu'];
}
