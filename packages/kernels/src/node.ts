/**
 * Node entry: device creation through Dawn's Node bindings (the `webgpu`
 * package, an optional peer dependency: browser installs never fetch it),
 * and tuning choices kept in a file, plus everything in @pneumo/kernels
 * (which is browser-safe): Node resolves `@pneumo/kernels` here by the
 * "node" export condition.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { type AdapterDescription, adapterLimits, adapterName, describeAdapter, isSoftwareAdapter } from './adapter.js';
import { type ContextOptions, envFlag, GpuContext } from './context.js';
import { writeFileAtomic } from './files.js';
import { silenceNativeStderr } from './native-stderr.js';
import { privateRuntimeDir } from './runtime-dir.js';
import type { TuneStore } from './tuner.js';

export * from './index.js';
export { fsyncDir, writeFileAtomic, writeFileDurable } from './files.js';

type Dawn = typeof import('webgpu');
let dawn: Dawn | null = null;

/** Loads Dawn once; says how to install it when it is missing. */
async function loadDawn(): Promise<Dawn> {
  if (dawn) return dawn;
  try {
    dawn = await import('webgpu');
  } catch (e) {
    throw new Error(
      `@pneumo/kernels/node needs the 'webgpu' package (Dawn's Node bindings): npm install webgpu\n(${(e as Error).message})`,
    );
  }
  // WebGPU constants (GPUBufferUsage, GPUMapMode, …) are globals in browsers.
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return dawn;
}

/** Ways to reach an adapter, tried in this order by 'auto'. */
export type AdapterBackend = 'native' | 'llvmpipe' | 'swiftshader';
export const ADAPTER_ORDER: readonly AdapterBackend[] = ['native', 'llvmpipe', 'swiftshader'];

/** Where Debian's chromium-common and other installs put SwiftShader's Vulkan ICD. */
export const SWIFTSHADER_ICD_PATHS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

export interface CreateDeviceOptions extends ContextOptions {
  /** 'auto' (default) or one way to reach an adapter. Env: PNEUMO_ADAPTER. */
  adapter?: 'auto' | AdapterBackend;
  /** Only accept an adapter whose name contains this (case-insensitive). Env: PNEUMO_ADAPTER_NAME. */
  adapterName?: string;
  /** Print which adapter was taken (once per process). Default true. Env PNEUMO_QUIET=1 turns it off. */
  log?: boolean;
}

export const NO_ADAPTER_HELP = `No WebGPU adapter found. On a machine without a GPU, install one of the software adapters:
  - Mesa llvmpipe (fastest): apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri
  - SwiftShader:             apt-get install -y chromium-common libvulkan1
or run on the cpu backend with PNEUMO_DEVICE=cpu.`;

// dawn.node crashes if its GPU object is collected while a device lives, so
// every created instance is kept for the life of the process.
const instances: unknown[] = [];
let announced = false;

interface Attempt {
  backend: AdapterBackend;
  adapter: GPUAdapter | null;
  gpu: GPU | null;
  error?: string;
}

async function tryBackend(backend: AdapterBackend): Promise<Attempt> {
  const env = process.env;
  const { create } = await loadDawn();
  // Vulkan loaders complain on stderr without a runtime dir; any writable one does.
  env.XDG_RUNTIME_DIR ??= privateRuntimeDir();
  try {
    let gpu: GPU;
    let adapter: GPUAdapter | null;
    if (backend === 'native') {
      if (process.platform === 'linux' && !hasVulkanLoader()) {
        return { backend, adapter: null, gpu: null, error: 'no Vulkan loader (libvulkan.so.1) installed' };
      }
      if (process.platform === 'linux' && !hasVulkanDriver()) {
        return { backend, adapter: null, gpu: null, error: 'no Vulkan driver (ICD manifest) installed' };
      }
      gpu = silenceNativeStderr(() => create([]));
      adapter = await silenceNativeStderr(() => gpu.requestAdapter({ powerPreference: 'high-performance' }));
      // A software adapter here is handled by its own (faster or explicit) step.
      if (adapter && isSoftwareAdapter(describeAdapter(adapter, backend))) adapter = null;
    } else if (backend === 'llvmpipe') {
      env.EGL_PLATFORM ??= 'surfaceless';
      gpu = silenceNativeStderr(() => create(['backend=opengles']));
      adapter = await silenceNativeStderr(() => gpu.requestAdapter({ featureLevel: 'compatibility' }));
    } else {
      if (!env.VK_ICD_FILENAMES) {
        const icd = SWIFTSHADER_ICD_PATHS.find((p) => existsSync(p));
        if (!icd) return { backend, adapter: null, gpu: null, error: 'SwiftShader ICD not installed' };
        env.VK_ICD_FILENAMES = icd;
      }
      gpu = silenceNativeStderr(() => create(['backend=vulkan']));
      adapter = await silenceNativeStderr(() => gpu.requestAdapter());
    }
    instances.push(gpu);
    return { backend, adapter, gpu };
  } catch (e) {
    return { backend, adapter: null, gpu: null, error: (e as Error).message };
  }
}

// Without the Vulkan loader Dawn finds no native adapter on Linux and says so
// loudly on stderr; checking first keeps the common CPU-only case quiet.
const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
  '/lib/x86_64-linux-gnu',
];
function hasVulkanLoader(): boolean {
  const extra = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  return [...extra, ...LIB_DIRS].some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

// Likewise a loader with no driver manifest (e.g. libvulkan1 installed for
// SwiftShader only) has no hardware adapter to offer. The SwiftShader ICD is
// not a hardware driver: it is reached by its own step.
const ICD_DIRS = [
  '/etc/vulkan/icd.d',
  '/usr/share/vulkan/icd.d',
  '/usr/local/share/vulkan/icd.d',
  '/usr/local/etc/vulkan/icd.d',
];
function hasVulkanDriver(): boolean {
  const env = process.env;
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) return true;
  const dirs = [
    ...ICD_DIRS,
    ...(env.XDG_DATA_DIRS ?? '')
      .split(':')
      .filter((d) => d !== '')
      .map((d) => join(d, 'vulkan', 'icd.d')),
  ];
  return dirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.endsWith('.json') && !/lvp|swiftshader/i.test(f));
    } catch {
      return false;
    }
  });
}

function matchesName(adapter: GPUAdapter, backend: string, wanted: string | undefined): boolean {
  if (!wanted) return true;
  return adapterName(describeAdapter(adapter, backend)).toLowerCase().includes(wanted.toLowerCase());
}

/**
 * Creates a WebGPU context on the best adapter available: a hardware adapter;
 * else Mesa llvmpipe through Dawn's OpenGL ES back-end (compatibility mode);
 * else SwiftShader through Vulkan where its ICD is installed. Throws, saying
 * how to get one, when there is none.
 */
export async function createDevice(options: CreateDeviceOptions = {}): Promise<GpuContext> {
  const env = process.env;
  const choice = (options.adapter ?? env.PNEUMO_ADAPTER ?? 'auto') as CreateDeviceOptions['adapter'];
  if (choice !== 'auto' && !ADAPTER_ORDER.includes(choice as AdapterBackend)) {
    throw new Error(`unknown adapter '${choice}': use auto, ${ADAPTER_ORDER.join(', ')}`);
  }
  const wantedName = options.adapterName ?? env.PNEUMO_ADAPTER_NAME;
  const order = choice === 'auto' ? ADAPTER_ORDER : [choice as AdapterBackend];
  const tried: string[] = [];
  for (const backend of order) {
    const attempt = await tryBackend(backend);
    if (!attempt.adapter || !matchesName(attempt.adapter, backend, wantedName)) {
      tried.push(
        `${backend}: ${attempt.error ?? (attempt.adapter ? `name does not match '${wantedName}'` : 'no adapter')}`,
      );
      continue;
    }
    const adapter = attempt.adapter;
    const description = describeAdapter(adapter, backend);
    const device = await requestDevice(adapter, description);
    const ctx = new GpuContext(device, description, {
      ...options,
      keepAlive: attempt.gpu,
      tuneStore: options.tuneStore === undefined ? fileTuneStore() : options.tuneStore,
    });
    const log = options.log ?? !envFlag('PNEUMO_QUIET');
    if (log && !announced) {
      announced = true;
      console.error(`pneumo: WebGPU adapter: ${adapterName(description)}`);
    }
    return ctx;
  }
  throw new Error(`${NO_ADAPTER_HELP}\nTried: ${tried.join('; ')}`);
}

async function requestDevice(adapter: GPUAdapter, description: AdapterDescription): Promise<GPUDevice> {
  const optional: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];
  const requiredFeatures = optional.filter((f) => adapter.features.has(f));
  try {
    return await adapter.requestDevice({ requiredLimits: adapterLimits(adapter), requiredFeatures });
  } catch (e) {
    throw new Error(`requesting a device on ${adapterName(description)} failed: ${(e as Error).message}`);
  }
}

/** Tuning choices in a JSON file: $PNEUMO_TUNE_FILE, else <cache dir>/pneumo/tuning.json. */
export function fileTuneStore(
  path = process.env.PNEUMO_TUNE_FILE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pneumo', 'tuning.json'),
): TuneStore {
  const readAll = (): Record<string, Record<string, string>> => {
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      return data && typeof data === 'object' ? (data as Record<string, Record<string, string>>) : {};
    } catch {
      return {};
    }
  };
  return {
    load: (key) => readAll()[key] ?? {},
    save: (key, choices) => {
      try {
        const all = readAll();
        // Entries of older kernel versions for this adapter are stale: drop them.
        const adapterPart = key.slice(key.indexOf('|'));
        for (const k of Object.keys(all)) if (k !== key && k.slice(k.indexOf('|')) === adapterPart) delete all[k];
        all[key] = choices;
        mkdirSync(dirname(path), { recursive: true });
        writeFileAtomic(path, JSON.stringify(all, null, 1));
      } catch (e) {
        console.error(`pneumo: could not save kernel tuning to ${path}: ${(e as Error).message}`);
      }
    },
  };
}

export { GpuContext };
