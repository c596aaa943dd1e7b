import { describe, expect, it } from 'vitest';
import { pickConvForward, pickMatmul } from './kernels/index.js';
import { createDevice, NO_ADAPTER_HELP } from './node.js';

describe('createDevice', () => {
  it('rejects an unknown adapter choice', async () => {
    await expect(createDevice({ adapter: 'metal' as never })).rejects.toThrow("unknown adapter 'metal'");
  });

  it('explains how to get an adapter when the requested one has a non-matching name', async () => {
    await expect(createDevice({ adapter: 'llvmpipe', adapterName: 'no-such-gpu-name', log: false })).rejects.toThrow(
      NO_ADAPTER_HELP.split('\n')[0]!,
    );
  });

  it('reaches llvmpipe explicitly', async () => {
    const ctx = await createDevice({ adapter: 'llvmpipe', log: false });
    expect(ctx.adapter.backend).toBe('llvmpipe');
    expect(ctx.software).toBe(true);
    ctx.destroy();
  });

  it('takes its kernel class from the adapter, or a forced one, and refuses an unknown one', async () => {
    // This suite also runs with a class forced for everything (CI's GPU-kernel pass): not here.
    const saved = process.env.PNEUMO_KERNEL_CLASS;
    delete process.env.PNEUMO_KERNEL_CLASS;
    try {
      await checkClasses();
    } finally {
      if (saved === undefined) delete process.env.PNEUMO_KERNEL_CLASS;
      else process.env.PNEUMO_KERNEL_CLASS = saved;
    }
  });
});

async function checkClasses(): Promise<void> {
  {
    const ctx = await createDevice({ adapter: 'llvmpipe', log: false, tune: false });
    expect(ctx.kernelClass).toBe('llvmpipe');
    const s = { n: 2, ci: 8, h: 12, w: 12, co: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 };
    expect(['rows', 'rowsco', 'wino']).toContain(pickConvForward(ctx, s).kind);
    ctx.destroy();
    const gpu = await createDevice({ adapter: 'llvmpipe', log: false, tune: false, kernelClass: 'gpu' });
    expect(gpu.kernelClass).toBe('gpu');
    expect(pickConvForward(gpu, s).kind).toBe('tiled');
    expect(
      pickMatmul(
        gpu,
        { batch: 1, m: 8, n: 8, k: 8, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 },
        false,
      ).kind,
    ).toBe('tiled');
    gpu.destroy();
    process.env.PNEUMO_KERNEL_CLASS = 'quantum';
    await expect(createDevice({ adapter: 'llvmpipe', log: false })).rejects.toThrow(/PNEUMO_KERNEL_CLASS='quantum'/);
  }
}
