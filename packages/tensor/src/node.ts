/**
 * Node entry: everything in `@pneumo/tensor`, with an `init` whose WebGPU
 * device comes from Dawn's Node bindings (a hardware adapter, else Mesa
 * llvmpipe, else SwiftShader; see `@pneumo/kernels/node`).
 */
import { ADAPTER_ORDER, createDevice } from '@pneumo/kernels/node';
import type { DeviceName } from './dtype.js';
import { type InitOptions, initWith } from './backend/registry.js';

export * from './index.js';

/** Picks the default device for new tensors, creating the WebGPU device through Dawn on first call. */
export function init(options: InitOptions = {}): Promise<DeviceName> {
  // A misspelt adapter is a mistake to report, not a reason to fall back to the cpu backend.
  const adapter = options.adapter ?? process.env.PNEUMO_ADAPTER;
  if (
    adapter !== undefined &&
    adapter !== '' &&
    adapter !== 'auto' &&
    !(ADAPTER_ORDER as readonly string[]).includes(adapter)
  ) {
    return Promise.reject(
      new Error(`unknown adapter '${adapter}' (PNEUMO_ADAPTER): use auto, ${ADAPTER_ORDER.join(', ')}`),
    );
  }
  return initWith((o) => createDevice({ adapter: o.adapter, adapterName: o.adapterName, debug: o.debug }), options);
}
