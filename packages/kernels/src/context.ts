import { BufferPool, type PoolStats } from './buffer-pool.js';
import type { Kernel } from './kernel.js';
import { type ParamValues, paramBytes, writeParams } from './params.js';
import { type AdapterDescription, isSoftwareAdapter } from './adapter.js';
import { CLASS_POLICIES, type ClassPolicy, type KernelClass, kernelClassOf, parseKernelClass } from './kernel-class.js';
import type { ProfileRow, Profiler } from './profiler.js';
import { adapterKey, Tuner, type TuneStore } from './tuner.js';

/** A storage binding: a whole buffer, or a byte range of one. */
export type BufferBinding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export interface ContextOptions {
  /**
   * Submit after every dispatch and check errors per dispatch, so an error
   * names exactly the kernel that caused it. Slow; for debugging.
   * Also turned on by the environment variable PNEUMO_DEBUG=1.
   */
  debug?: boolean;
  /** Anything that must stay alive as long as the device (dawn.node's GPU object). */
  keepAlive?: unknown;
  /**
   * Time kernel variants on first use and keep the fastest (default true;
   * env PNEUMO_TUNE=0 turns it off and the first variant of each list runs).
   */
  tune?: boolean;
  /** Where tuning choices persist across processes (Node: a JSON file in the user's cache directory). */
  tuneStore?: TuneStore | null;
  /** Time every dispatch (slow: one submit per dispatch); see Profiler. */
  profiler?: Profiler;
  /**
   * Which kernel shapes to use, instead of the adapter's own class (env
   * PNEUMO_KERNEL_CLASS=llvmpipe|swiftshader|gpu): forcing 'gpu' runs the
   * workgroup-memory tiled kernels anywhere, for tests and benchmarks.
   */
  kernelClass?: KernelClass;
  /**
   * Fill every buffer alloc() hands out with NaN (env PNEUMO_POISON=1), so a
   * kernel that reads what nobody wrote (past a tensor's end inside its pooled
   * buffer, or an output it expects zeroed) shows NaN instead of silently
   * reading zeros from fresh buffers and stale values from reused ones. Slow;
   * for tests and debugging.
   */
  poison?: boolean;
}

export interface ContextStats extends PoolStats {
  dispatches: number;
  submits: number;
  pipelines: number;
  readbacks: number;
}

interface PendingCheck {
  what: () => string;
  errors: Promise<(GPUError | null)[]>;
}

const UNIFORM_ARENA_BYTES = 1 << 18;

/**
 * Everything kernels need from one WebGPU device: a compiled-pipeline cache,
 * a pool of storage buffers, one command encoder that collects dispatches
 * until something needs their results (so a training step is one submit, not
 * one per op), readback through reused staging buffers, and error capture
 * that turns WebGPU validation and out-of-memory errors into exceptions
 * naming the kernels involved.
 */
export class GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  readonly debug: boolean;
  readonly poison: boolean;
  /** True on CPU-emulated adapters (llvmpipe, SwiftShader). */
  readonly software: boolean;
  /** Which kernel shapes this context's ops choose from (the adapter's class unless forced). */
  readonly kernelClass: KernelClass;
  readonly policy: ClassPolicy;
  readonly limits: GPUSupportedLimits;
  readonly pool: BufferPool;
  readonly tuner: Tuner;
  /** Set to time every dispatch (one submit each); null for normal batching. */
  profiler: Profiler | null;

  private readonly staging: BufferPool;
  private readonly keepAlive: unknown;
  private readonly pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();
  private readonly uniformAlign: number;
  private readonly uniforms: GPUBuffer;
  private readonly uniformHost = new ArrayBuffer(UNIFORM_ARENA_BYTES);
  private readonly uniformView = new DataView(this.uniformHost);
  private uniformUsed = 0;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchLabels: string[] = [];
  private batchBuffers = new Set<GPUBuffer>();
  private pending: PendingCheck[] = [];
  private compileChecks: PendingCheck[] = [];
  private lost: string | null = null;
  private counters = { dispatches: 0, submits: 0, readbacks: 0 };

  constructor(device: GPUDevice, adapter: AdapterDescription, options: ContextOptions = {}) {
    this.device = device;
    this.adapter = adapter;
    this.keepAlive = options.keepAlive;
    this.debug = options.debug ?? envFlag('PNEUMO_DEBUG');
    this.poison = options.poison ?? envFlag('PNEUMO_POISON');
    this.profiler = options.profiler ?? null;
    this.software = isSoftwareAdapter(adapter);
    this.kernelClass =
      options.kernelClass ?? parseKernelClass(envValue('PNEUMO_KERNEL_CLASS')) ?? kernelClassOf(adapter);
    this.policy = CLASS_POLICIES[this.kernelClass];
    this.limits = device.limits;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.pool = new BufferPool(device, usage);
    this.staging = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 256 << 20);
    this.uniformAlign = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
    this.uniforms = device.createBuffer({
      size: UNIFORM_ARENA_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'pneumo uniform arena',
    });
    const tune = options.tune ?? !envOff('PNEUMO_TUNE');
    this.tuner = new Tuner(
      { flush: () => this.flush(), waitIdle: () => device.queue.onSubmittedWorkDone() },
      // Choices made over another class's candidates are not this class's.
      `${adapterKey(adapter)}|${this.kernelClass}`,
      options.tuneStore ?? null,
      tune,
    );
    device.lost.then((info) => {
      this.lost = `${info.reason}: ${info.message}`;
    });
  }

  /** Allocates a storage buffer of at least `bytes` from the pool. */
  alloc(bytes: number, label?: string): GPUBuffer {
    this.checkAlive();
    const max = Math.min(this.limits.maxBufferSize, this.limits.maxStorageBufferBindingSize);
    if (bytes > max) {
      throw new Error(
        `cannot allocate ${bytes} bytes${label ? ` for ${label}` : ''}: the adapter's storage buffers hold at most ${max} bytes`,
      );
    }
    const buffer = this.pool.acquire(bytes, label);
    if (this.poison) this.write(buffer, new Float32Array(buffer.size / 4).fill(Number.NaN));
    return buffer;
  }

  /** Returns a buffer to the pool. Dispatches already encoded that use it still see its old contents. */
  free(buffer: GPUBuffer): void {
    if (this.poison) {
      // Never handed out again, and NaN from here on: a later read of a freed buffer shows as NaN.
      this.write(buffer, new Float32Array(buffer.size / 4).fill(Number.NaN));
      return;
    }
    this.pool.release(buffer);
  }

  /** Copies host data into a buffer, ordered after every dispatch encoded so far. */
  write(buffer: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
    this.checkAlive();
    // queue.writeBuffer runs before commands that are still being encoded, so a
    // buffer those commands use must see them submitted first.
    if (this.batchBuffers.has(buffer)) this.flush();
    this.device.queue.writeBuffer(buffer, byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Encodes a buffer-to-buffer copy in order with the dispatches (concatenation). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    const enc = this.copyEncoder('copy');
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.batchBuffers.add(src).add(dst);
  }

  /**
   * Encodes one dispatch of `kernel`. `workgroups` is a count (split over x
   * and y as needed; kernels recover the linear index with LINEAR_WORKGROUP)
   * or an explicit [x, y, z] grid. `label` names the call in errors (use the
   * op and the shapes).
   */
  dispatch(
    kernel: Kernel,
    buffers: readonly BufferBinding[],
    params: ParamValues,
    workgroups: number | readonly [number, number, number],
    label = kernel.name,
  ): void {
    this.checkAlive();
    if (buffers.length !== kernel.bindings.length) {
      throw new Error(`${label}: kernel ${kernel.name} takes ${kernel.bindings.length} buffers, got ${buffers.length}`);
    }
    const grid = typeof workgroups === 'number' ? this.grid(workgroups, label) : workgroups;
    if (grid[0] === 0 || grid[1] === 0 || grid[2] === 0) return;
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (grid.some((g) => g > maxDim)) {
      throw new Error(`${label}: workgroup grid [${grid.join(', ')}] exceeds the adapter's ${maxDim} per dimension`);
    }
    const { pipeline, layout } = this.pipeline(kernel);

    const bytes = paramBytes(kernel.params);
    const slot = Math.ceil(bytes / this.uniformAlign) * this.uniformAlign;
    if (this.uniformUsed + slot > UNIFORM_ARENA_BYTES) this.flush();
    const uniformOffset = this.uniformUsed;
    writeParams(this.uniformView, uniformOffset, kernel.params, params, label);
    this.uniformUsed += slot;

    const entries: GPUBindGroupEntry[] = buffers.map((b, i) => {
      const resource: GPUBufferBinding = isGpuBuffer(b) ? { buffer: b } : b;
      this.batchBuffers.add(resource.buffer);
      return { binding: i, resource };
    });
    entries.push({ binding: buffers.length, resource: { buffer: this.uniforms, offset: uniformOffset, size: bytes } });

    const pass = this.computePass();
    const bindGroup = this.device.createBindGroup({ layout, entries, label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.counters.dispatches++;
    this.batchLabels.push(label);
    this.profiler?.record({
      kernel: kernel.name,
      label,
      pipeline,
      bindGroup,
      grid,
      uniformOffset,
      params: this.uniformHost.slice(uniformOffset, uniformOffset + bytes),
    });
    if (this.debug) this.flush();
  }

  /** Splits a linear workgroup count into a grid within the per-dimension limit. */
  grid(count: number, label = 'dispatch'): [number, number, number] {
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (count <= maxDim) return [count, 1, 1];
    const y = Math.ceil(count / maxDim);
    if (y > maxDim) throw new Error(`${label}: ${count} workgroups exceed the adapter's grid`);
    return [Math.ceil(count / y), y, 1];
  }

  /** Submits everything encoded so far. Cheap when nothing is pending. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const enc = this.encoder;
    this.encoder = null;
    if (this.uniformUsed > 0) {
      this.device.queue.writeBuffer(this.uniforms, 0, this.uniformHost, 0, this.uniformUsed);
      this.uniformUsed = 0;
    }
    this.device.queue.submit([enc.finish()]);
    this.counters.submits++;
    const labels = this.batchLabels;
    this.batchLabels = [];
    this.batchBuffers = new Set();
    // Scopes were pushed when this batch began (see beginBatch): everything
    // between then and now, bind groups and submit included, is captured.
    const errors = Promise.all([this.device.popErrorScope(), this.device.popErrorScope()]);
    this.pending.push({ what: () => describeBatch(labels), errors });
  }

  /**
   * Waits until the GPU has finished all submitted work, and throws the first
   * WebGPU error any of it raised.
   */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.throwPendingErrors();
    await this.tuner.runPending();
  }

  /** Reads `bytes` bytes of a buffer back to the host. */
  async read(buffer: GPUBuffer, bytes: number, byteOffset = 0): Promise<ArrayBuffer> {
    this.checkAlive();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.staging.acquire(size, 'pneumo readback');
    const enc = this.copyEncoder('readback');
    enc.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
    this.flush();
    this.counters.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (e) {
      await this.throwPendingErrors();
      throw new Error(`readback of ${bytes} bytes failed: ${(e as Error).message}`);
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.staging.release(staging);
    await this.throwPendingErrors();
    await this.tuner.runPending();
    return out;
  }

  /**
   * Runs every dispatch a profiler recorded again, one submit each, and
   * returns its wall time (the fastest of `reps` runs). Call after the
   * recorded work finished (await a sync) and before the buffers it used
   * are trimmed.
   */
  async replayProfile(profiler: Profiler, reps = 2): Promise<ProfileRow[]> {
    await this.sync();
    const rows: ProfileRow[] = [];
    for (const d of profiler.dispatches) {
      let best = Infinity;
      for (let i = 0; i < reps; i++) {
        this.device.queue.writeBuffer(this.uniforms, d.uniformOffset, d.params);
        const enc = this.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
        pass.end();
        const t0 = performance.now();
        this.device.queue.submit([enc.finish()]);
        await this.device.queue.onSubmittedWorkDone();
        best = Math.min(best, performance.now() - t0);
      }
      rows.push({ kernel: d.kernel, label: d.label, ms: best });
    }
    await this.throwPendingErrors();
    return rows;
  }

  stats(): ContextStats {
    return { ...this.pool.stats(), ...this.counters, pipelines: this.pipelines.size };
  }

  /** Frees the pools and the device. The context is unusable afterwards. */
  destroy(): void {
    if (this.lost) return;
    this.flush();
    this.pool.trim();
    this.staging.trim();
    this.uniforms.destroy();
    this.lost = 'destroyed';
    this.device.destroy();
    void this.keepAlive;
  }

  private pipeline(kernel: Kernel): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    const hit = this.pipelines.get(kernel.key);
    if (hit) return hit;
    const layout = this.device.createBindGroupLayout({
      label: kernel.name,
      entries: [
        ...kernel.bindings.map((b, i) => ({
          binding: i,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: b.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
        })),
        { binding: kernel.bindings.length, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' as const } },
      ],
    });
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: kernel.wgsl, label: kernel.key });
    const pipeline = this.device.createComputePipeline({
      label: kernel.key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    const compileError = this.device.popErrorScope();
    const messages = module.getCompilationInfo().then((info) =>
      info.messages
        .filter((m) => m.type === 'error')
        .map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`)
        .join('\n'),
    );
    this.compileChecks.push({
      what: () => `compiling kernel ${kernel.key}`,
      errors: Promise.all([compileError, messages]).then(([err, msgs]) =>
        err || msgs ? [{ message: `${err?.message ?? ''}\n${msgs}`.trim() } as GPUError] : [],
      ),
    });
    const entry = { pipeline, layout };
    this.pipelines.set(kernel.key, entry);
    return entry;
  }

  private beginBatch(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    const enc = this.beginBatch();
    if (!this.pass) this.pass = enc.beginComputePass();
    return this.pass;
  }

  private copyEncoder(label: string): GPUCommandEncoder {
    this.checkAlive();
    const enc = this.beginBatch();
    this.endPass();
    this.batchLabels.push(label);
    return enc;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private async throwPendingErrors(): Promise<void> {
    const checks = [...this.compileChecks, ...this.pending];
    this.compileChecks = [];
    this.pending = [];
    for (const check of checks) {
      const errs = (await check.errors).filter((e): e is GPUError => e !== null);
      if (errs.length > 0) {
        const kind = errs[0]?.constructor?.name === 'GPUOutOfMemoryError' ? 'out of GPU memory' : 'WebGPU error';
        throw new Error(`${kind} while ${check.what()}: ${errs.map((e) => e.message).join('; ')}`);
      }
    }
  }

  private checkAlive(): void {
    if (this.lost) throw new Error(`the WebGPU device is gone (${this.lost})`);
  }
}

function isGpuBuffer(b: BufferBinding): b is GPUBuffer {
  return typeof (b as GPUBuffer).mapAsync === 'function';
}

function describeBatch(labels: string[]): string {
  if (labels.length <= 8) return `running ${labels.join(', ')}`;
  return `running a batch of ${labels.length} dispatches (${labels.slice(0, 6).join(', ')}, …); set PNEUMO_DEBUG=1 to pin down which one`;
}

function envValue(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/** An explicit off switch: '0', 'false' or 'off'. */
export function envOff(name: string): boolean {
  const v = envValue(name);
  return v === '0' || v === 'false' || v === 'off';
}

/** Set to anything but '', '0' or 'false'. */
export function envFlag(name: string): boolean {
  const v = envValue(name);
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}
