import { type AdapterDescription, isSoftwareAdapter } from './adapter.js';

/**
 * Three kinds of adapter want different kernels (see DESIGN.md):
 *
 * - `llvmpipe`: a CPU running each invocation as one SIMD lane, with a fast
 *   shader compiler (Mesa llvmpipe, and other CPU adapters). Much work per
 *   invocation, vec4 loads, no workgroup memory (barriers are emulated).
 * - `swiftshader`: the same shapes, but its JIT is slow and memory-hungry,
 *   so how much a kernel unrolls is bounded harder.
 * - `gpu`: hardware. Workgroup-memory tiled kernels (implicit-GEMM conv,
 *   tiled matmul) first.
 *
 * The class decides which variants the tuner times, and which one runs
 * when tuning is off (the first). PNEUMO_KERNEL_CLASS forces a class on any
 * adapter, so the GPU-shaped kernels can be tested and benchmarked on a
 * machine without a GPU.
 */
export type KernelClass = 'llvmpipe' | 'swiftshader' | 'gpu';
export const KERNEL_CLASSES: readonly KernelClass[] = ['llvmpipe', 'swiftshader', 'gpu'];

export interface ClassPolicy {
  /**
   * Register-tiled variants whose unrolled body holds more FMA statements
   * than this are not candidates: compile time and compile memory grow with
   * it (SwiftShader: 576 statements compile in about 1.5 s and 250 MB).
   */
  maxUnroll: number;
  /** Workgroup-memory tiled variants are candidates (first). */
  tiled: boolean;
  /** At most this many variants are timed per op and shape. */
  maxCandidates: number;
  /**
   * Invocations a reduction-heavy kernel (the conv weight gradient) aims
   * for before it splits its reduction over partial buffers: a CPU has a
   * few cores to fill, a GPU tens of thousands of lanes.
   */
  targetThreads: number;
  /**
   * Reduction steps the Winograd GEMM chains onto each accumulator per loop
   * trip (its tile's kc; fmaChain in kernel.ts says why it pays). Measured
   * on the blog CNN's F(4x4) layers at batch 32, each pass alone in one
   * process, kc values interleaved: SwiftShader ran kc 4 17-34% faster than
   * kc 1 and mostly faster than kc 2; llvmpipe ran kc 2 as fast as kc 1 in
   * the weight gradient and 10-15% slower in the forward (LLVM keeps its
   * accumulators in registers already), so it stays at 1, as GPUs do.
   */
  reductionChain: number;
}

export const CLASS_POLICIES: Readonly<Record<KernelClass, ClassPolicy>> = {
  llvmpipe: { maxUnroll: 1152, tiled: false, maxCandidates: 3, targetThreads: 2048, reductionChain: 1 },
  swiftshader: { maxUnroll: 576, tiled: false, maxCandidates: 2, targetThreads: 2048, reductionChain: 4 },
  gpu: { maxUnroll: 256, tiled: true, maxCandidates: 6, targetThreads: 65536, reductionChain: 1 },
};

/** The class an adapter belongs to by its description. */
export function kernelClassOf(a: AdapterDescription): KernelClass {
  if (/swiftshader/i.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`)) return 'swiftshader';
  return isSoftwareAdapter(a) ? 'llvmpipe' : 'gpu';
}

/** Parses a forced class (PNEUMO_KERNEL_CLASS); unknown names are an error, not a silent default. */
export function parseKernelClass(value: string | undefined): KernelClass | null {
  if (value === undefined || value === '' || value === 'auto') return null;
  if ((KERNEL_CLASSES as readonly string[]).includes(value)) return value as KernelClass;
  throw new Error(`PNEUMO_KERNEL_CLASS='${value}' is not a kernel class: use auto, ${KERNEL_CLASSES.join(', ')}`);
}

/** A variant as the candidate filter sees it: its kind and how many FMA statements it unrolls. */
export interface CandidateInfo {
  tiled: boolean;
  unroll: number;
}

/**
 * The variants a class times, most promising first: `all` is ordered
 * CPU-shaped first (the generators' own order); for GPUs the tiled ones move
 * to the front. `preferred` variants (e.g. the stride-1 rows kernels, where
 * they apply) go before the other register-tiled ones on CPU classes.
 */
export function classCandidates<V>(
  policy: ClassPolicy,
  all: readonly V[],
  info: (v: V) => CandidateInfo,
  preferred: (v: V) => boolean = () => true,
): V[] {
  const fits = all.filter((v) => {
    const i = info(v);
    return i.tiled ? policy.tiled : i.unroll <= policy.maxUnroll;
  });
  const tiled = fits.filter((v) => info(v).tiled);
  const register = fits.filter((v) => !info(v).tiled);
  const best = register.filter(preferred);
  const ordered = policy.tiled
    ? [...tiled, ...best, ...register.filter((v) => !preferred(v))]
    : best.length > 0
      ? best
      : register;
  return ordered.slice(0, policy.maxCandidates);
}
