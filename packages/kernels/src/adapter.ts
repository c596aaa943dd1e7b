/** What we know of the adapter a context runs on; also the key for cached tuning choices. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** How it was reached: 'native', 'llvmpipe', 'swiftshader', 'browser', … */
  backend: string;
  isFallbackAdapter: boolean;
}

const SOFTWARE = /llvmpipe|swiftshader|lavapipe|softpipe|software|warp/i;

export function describeAdapter(adapter: GPUAdapter, backend: string): AdapterDescription {
  const info = adapter.info;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    backend,
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
}

/** CPU-emulated adapters want different kernel shapes from real GPUs. */
export function isSoftwareAdapter(a: AdapterDescription): boolean {
  return a.isFallbackAdapter || SOFTWARE.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`);
}

/** One line naming the adapter, for logs. */
export function adapterName(a: AdapterDescription): string {
  const parts = [a.description || a.device, a.architecture, a.vendor].filter((s) => s !== '');
  const name = parts.length > 0 ? parts.join(' / ') : 'unnamed adapter';
  return `${name} [${a.backend}${isSoftwareAdapter(a) ? ', software' : ''}]`;
}

/** Copies an adapter's limits into a plain object for requestDevice (compat-mode defaults are far lower). */
export function adapterLimits(adapter: GPUAdapter): Record<string, number> {
  const out: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, number>;
  // Limits live on the prototype as getters; for..in walks them.
  for (const key in limits) {
    const v = limits[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}
