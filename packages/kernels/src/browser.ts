/**
 * Browser entry: the device comes from `navigator.gpu`. Nothing here (or in
 * the core it imports) touches a Node module, so a bundler can take it as
 * it is.
 */
import { type AdapterDescription, adapterLimits, adapterName, describeAdapter } from './adapter.js';
import { type ContextOptions, GpuContext } from './context.js';
import type { TuneStore } from './tuner.js';

export interface BrowserDeviceOptions extends ContextOptions {
  /** Passed to requestAdapter (default 'high-performance'). */
  powerPreference?: GPUPowerPreference;
  /** Print the adapter taken on the console (default true). */
  log?: boolean;
}

export const NO_WEBGPU_HELP =
  'This browser has no WebGPU (navigator.gpu is missing). Use a browser with WebGPU enabled ' +
  '(Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows), served over https or from localhost.';

/** Creates a WebGPU context on the page's adapter; throws, saying why, when there is none. */
export async function createBrowserDevice(options: BrowserDeviceOptions = {}): Promise<GpuContext> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new Error(NO_WEBGPU_HELP);
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter)
    throw new Error('navigator.gpu offered no adapter (WebGPU may be disabled or blocklisted for this GPU)');
  const description: AdapterDescription = describeAdapter(adapter, 'browser');
  const optional: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];
  const device = await adapter.requestDevice({
    requiredLimits: adapterLimits(adapter),
    requiredFeatures: optional.filter((f) => adapter.features.has(f)),
  });
  const ctx = new GpuContext(device, description, {
    ...options,
    tuneStore: options.tuneStore === undefined ? localStorageTuneStore() : options.tuneStore,
  });
  if (options.log ?? true)
    console.info(`pneumo: WebGPU adapter: ${adapterName(description)}; kernel class ${ctx.kernelClass}`);
  return ctx;
}

/** Tuning choices in the page's localStorage (none where storage is unavailable). */
export function localStorageTuneStore(prefix = 'pneumo-tuning:'): TuneStore | null {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (!storage) return null;
  return {
    load: (key) => {
      try {
        return JSON.parse(storage.getItem(prefix + key) ?? '{}') as Record<string, string>;
      } catch {
        return {};
      }
    },
    save: (key, choices) => {
      try {
        storage.setItem(prefix + key, JSON.stringify(choices));
      } catch {
        // Storage full or disabled: tuning runs again next time, nothing worse.
      }
    },
  };
}

export { GpuContext };
