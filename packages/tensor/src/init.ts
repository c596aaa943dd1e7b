import { createBrowserDevice } from '@pneumo/kernels/browser';
import type { DeviceName } from './dtype.js';
import { type InitOptions, initWith } from './backend/registry.js';

const isNode = () =>
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/**
 * Browser entry's `init`: the WebGPU device comes from `navigator.gpu`
 * (Node has its own entry: `@pneumo/tensor/node`, `@pneumo/nn/node`).
 * Picks the default device for new tensors; see `initWith`.
 */
export function init(options: InitOptions = {}): Promise<DeviceName> {
  return initWith(async (o) => {
    if (isNode()) {
      throw new Error(
        "this is the browser entry's init(): in Node, import init from '@pneumo/nn/node' (or '@pneumo/tensor/node')",
      );
    }
    return createBrowserDevice({ debug: o.debug });
  }, options);
}
