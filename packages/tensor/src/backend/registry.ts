import type { GpuContext } from '@pneumo/kernels';
import type { DeviceName } from '../dtype.js';
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu.js';
import { WebGpuBackend } from './webgpu.js';

const cpu = new CpuBackend();
let webgpu: WebGpuBackend | null = null;
let defaultDevice: DeviceName = 'cpu';
let initializing: Promise<DeviceName> | null = null;

export interface InitOptions {
  /**
   * 'auto' (default): WebGPU if an adapter exists, else the cpu backend with a
   * warning. 'webgpu' fails when there is no adapter. Env: PNEUMO_DEVICE.
   */
  device?: 'auto' | DeviceName;
  /** Adapter choice for Node ('auto', 'native', 'llvmpipe', 'swiftshader'). Env: PNEUMO_ADAPTER. */
  adapter?: 'auto' | 'native' | 'llvmpipe' | 'swiftshader';
  /** Only accept an adapter whose name contains this. Env: PNEUMO_ADAPTER_NAME. */
  adapterName?: string;
  /** Submit and check errors after every dispatch. Env: PNEUMO_DEBUG=1. */
  debug?: boolean;
}

/** How a platform entry creates its WebGPU context (browser: navigator.gpu; Node: Dawn). */
export type ContextFactory = (options: InitOptions) => Promise<GpuContext>;

/**
 * Picks the default device for new tensors, creating the WebGPU device with
 * `create` on first call. Safe to call more than once; later calls return
 * the first result. Each platform entry's `init` is this with its factory
 * (`@pneumo/tensor` for browsers, `@pneumo/tensor/node` for Node).
 */
export function initWith(create: ContextFactory, options: InitOptions = {}): Promise<DeviceName> {
  initializing ??= doInit(create, options).catch((e) => {
    initializing = null;
    throw e;
  });
  return initializing;
}

async function doInit(create: ContextFactory, options: InitOptions): Promise<DeviceName> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const wanted = options.device ?? (env.PNEUMO_DEVICE as InitOptions['device']) ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(wanted)) {
    throw new Error(`unknown device '${wanted}': use auto, webgpu or cpu (PNEUMO_DEVICE)`);
  }
  if (wanted === 'cpu') {
    defaultDevice = 'cpu';
    return 'cpu';
  }
  try {
    const ctx = await create(options);
    useGpuContext(ctx);
    return 'webgpu';
  } catch (e) {
    if (wanted === 'webgpu') throw e;
    console.warn(
      `pneumo: WARNING: no WebGPU adapter, running on the slow cpu reference backend.\n${(e as Error).message}`,
    );
    defaultDevice = 'cpu';
    return 'cpu';
  }
}

/** Uses an existing GpuContext for webgpu tensors and makes webgpu the default device. */
export function useGpuContext(ctx: GpuContext): void {
  webgpu = new WebGpuBackend(ctx);
  defaultDevice = 'webgpu';
}

/** The GpuContext behind webgpu tensors, if one was created. */
export function gpuContext(): GpuContext | null {
  return webgpu?.ctx ?? null;
}

export function setDefaultDevice(device: DeviceName): void {
  if (device === 'webgpu' && !webgpu) throw new Error("setDefaultDevice('webgpu'): call `await init()` first");
  defaultDevice = device;
}

export function getDefaultDevice(): DeviceName {
  return defaultDevice;
}

export function backendFor(device: DeviceName): Backend {
  if (device === 'cpu') return cpu;
  if (device === 'webgpu') {
    if (!webgpu) throw new Error("no WebGPU device: call `await init({ device: 'webgpu' })` first");
    return webgpu as Backend;
  }
  throw new Error(`unknown device '${String(device)}': use webgpu or cpu`);
}
