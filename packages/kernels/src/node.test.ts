import { describe, expect, it } from 'vitest';
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
});
