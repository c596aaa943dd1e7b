import { describe, expect, it } from 'vitest';
import type { AdapterDescription } from './adapter.js';
import { CLASS_POLICIES, classCandidates, kernelClassOf, parseKernelClass } from './kernel-class.js';
import {
  type Conv2dShape,
  type ConvVariant,
  convForwardVariants,
  convVariantInfo,
  weightGradVariants,
  withReductionChain,
} from './kernels/conv2d.js';
import {
  MATMUL_CONFIGS,
  type MatmulConfig,
  matmulConfigsFor,
  matmulVariantInfo,
  vec4Allowed,
} from './kernels/matmul.js';
import { tiledFits, TILED_GEMM_CONFIGS, tiledWorkgroupBytes, tiledWorkgroupSize } from './kernels/tiled-gemm.js';

const adapter = (over: Partial<AdapterDescription>): AdapterDescription => ({
  vendor: '',
  architecture: '',
  device: '',
  description: '',
  backend: 'native',
  isFallbackAdapter: false,
  ...over,
});

const blog: Conv2dShape = { n: 32, ci: 64, co: 128, h: 16, w: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 };
const fwd = (cls: keyof typeof CLASS_POLICIES, s = blog) =>
  classCandidates(
    CLASS_POLICIES[cls],
    convForwardVariants(s),
    (v) => convVariantInfo(v, s, 'forward'),
    (v) => v.kind === 'rows' || v.kind === 'rowsco',
  );

describe('kernel classes', () => {
  it('classify adapters by their description', () => {
    expect(kernelClassOf(adapter({ device: 'llvmpipe-llvm-15-0-6-256-bits-', backend: 'llvmpipe' }))).toBe('llvmpipe');
    expect(
      kernelClassOf(
        adapter({ architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }),
      ),
    ).toBe('swiftshader');
    expect(
      kernelClassOf(adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })),
    ).toBe('gpu');
    expect(kernelClassOf(adapter({ description: 'Microsoft Basic Render Driver (WARP)' }))).toBe('llvmpipe');
  });

  it('parse a forced class, and refuse an unknown one', () => {
    expect(parseKernelClass(undefined)).toBeNull();
    expect(parseKernelClass('auto')).toBeNull();
    expect(parseKernelClass('gpu')).toBe('gpu');
    expect(() => parseKernelClass('tpu')).toThrow(
      /PNEUMO_KERNEL_CLASS='tpu' is not a kernel class: use auto, llvmpipe, swiftshader, gpu/,
    );
  });

  it('give CPU classes the stride-1 rows kernels within their unroll budget, and GPUs the tiled kernels first', () => {
    const llvm = fwd('llvmpipe');
    expect(llvm.every((v) => v.kind === 'rows' || v.kind === 'rowsco')).toBe(true);
    expect(llvm).toHaveLength(3);
    // The fastest on llvmpipe (measured) comes first.
    expect(llvm[0]).toEqual({ kind: 'rowsco', r: 8, tco: 16 });
    const swift = fwd('swiftshader');
    expect(
      swift.every(
        (v) => (v.kind === 'rows' || v.kind === 'rowsco') && convVariantInfo(v, blog, 'forward').unroll <= 576,
      ),
    ).toBe(true);
    expect(swift[0]).toEqual({ kind: 'rows', r: 8, tco: 8 });
    const gpu = fwd('gpu');
    expect(gpu.slice(0, TILED_GEMM_CONFIGS.length)).toEqual([...TILED_GEMM_CONFIGS]);
    // Register kernels stay candidates on GPUs only while small (rows r8 tco8 unrolls 576 FMAs).
    expect(gpu.filter((v) => v.kind !== 'tiled').every((v) => convVariantInfo(v, blog, 'forward').unroll <= 256)).toBe(
      true,
    );
    expect(gpu).not.toContainEqual({ kind: 'rows', r: 8, tco: 8 });
    expect(gpu.length).toBeLessThanOrEqual(CLASS_POLICIES.gpu.maxCandidates);
  });

  it('offer the rows-co kernel (the register kernel that takes strides) for strided 3x3 and 1x1 layers, the general kernels beyond', () => {
    for (const k of [3, 1]) {
      const s = { ...blog, sh: 2, sw: 2, kh: k, kw: k, ph: (k - 1) / 2, pw: (k - 1) / 2 };
      expect(fwd('llvmpipe', s).length).toBeGreaterThan(0);
      expect(fwd('llvmpipe', s).every((v) => v.kind === 'rowsco')).toBe(true);
      expect(fwd('swiftshader', s).every((v) => v.kind === 'rowsco')).toBe(true);
      expect(weightGradVariants(s).some((v) => v.kind === 'wco')).toBe(true);
    }
    const wide = { ...blog, sh: 2, sw: 2, kh: 5, kw: 5, ph: 2, pw: 2 };
    expect(fwd('llvmpipe', wide).every((v) => v.kind === 'direct')).toBe(true);
    expect(fwd('swiftshader', wide).length).toBeGreaterThan(0);
    expect(weightGradVariants(wide).some((v) => v.kind === 'wco')).toBe(false);
  });

  it("chain the Winograd GEMM's reduction steps by class, counted in the unroll budget", () => {
    const wide: Conv2dShape = { ...blog, ci: 128 };
    expect(CLASS_POLICIES.llvmpipe.reductionChain).toBe(1);
    expect(CLASS_POLICIES.swiftshader.reductionChain).toBe(4);
    expect(CLASS_POLICIES.gpu.reductionChain).toBe(1);
    for (const [cls, policy] of Object.entries(CLASS_POLICIES)) {
      const all = [...convForwardVariants(wide), ...weightGradVariants(wide)];
      const chained = all.map((v) => withReductionChain(v, policy.reductionChain));
      chained.forEach((v, i) => {
        const wino = v.kind === 'wino' || v.kind === 'wino4';
        // Only the Winograd variants change, and a chain of 1 leaves them as they were.
        expect(v, cls).toEqual(wino && policy.reductionChain > 1 ? { ...all[i], kc: policy.reductionChain } : all[i]);
        if (wino) {
          const unroll = (x: (typeof all)[number]) => convVariantInfo(x as ConvVariant, wide, 'forward').unroll;
          expect(unroll(v)).toBe(unroll(all[i]!) * policy.reductionChain);
        }
      });
    }
    // SwiftShader's first F(4x4) tile (16 tiles x 32 channels, 128 vec4 accumulators) stays within its budget at kc 4.
    const swift = classCandidates(
      CLASS_POLICIES.swiftshader,
      convForwardVariants(wide).map((v) => withReductionChain(v, 4)),
      (v) => convVariantInfo(v, wide, 'forward'),
      (v) => v.kind === 'wino' || v.kind === 'wino4',
    );
    expect(swift).toContainEqual({ kind: 'wino4', tt: 16, tco: 32, wg: 8, kc: 4 });
  });

  it('bound the weight-gradient and matmul candidates too', () => {
    const dw = classCandidates(
      CLASS_POLICIES.swiftshader,
      weightGradVariants(blog),
      (v) => convVariantInfo(v, blog, 'weight'),
      (v) => v.kind === 'rows',
    );
    expect(dw.every((v) => convVariantInfo(v, blog, 'weight').unroll <= 576)).toBe(true);
    const mm = classCandidates(CLASS_POLICIES.gpu, MATMUL_CONFIGS, matmulVariantInfo, (c) => c.kind === 'vec4');
    expect(mm[0]!.kind).toBe('tiled');
    expect(
      classCandidates(CLASS_POLICIES.llvmpipe, MATMUL_CONFIGS, matmulVariantInfo, (c) => c.kind === 'vec4').every(
        (c) => c.kind === 'vec4',
      ),
    ).toBe(true);
  });

  it("time one-row matmul tiles for a batch-1 layer, and a batch-32 layer's list as before", () => {
    const fc = (m: number) => ({
      batch: 1,
      m,
      n: 1024,
      k: 4096,
      transA: false,
      transB: true,
      aBatchStride: 0,
      bBatchStride: 0,
    });
    const vec4First = (c: MatmulConfig) => c.kind === 'vec4';
    const one = classCandidates(CLASS_POLICIES.swiftshader, matmulConfigsFor(fc(1)), matmulVariantInfo, vec4First);
    expect(one.map((c) => c.tm)).toEqual([1, 1]);
    const batch = classCandidates(CLASS_POLICIES.llvmpipe, matmulConfigsFor(fc(32)), matmulVariantInfo, vec4First);
    const before = classCandidates(
      CLASS_POLICIES.llvmpipe,
      MATMUL_CONFIGS.filter((c) => vec4Allowed(fc(32), c)),
      matmulVariantInfo,
      vec4First,
    );
    expect(batch).toEqual(before);
    expect(batch.every((c) => c.tm > 1)).toBe(true);
  });

  it('keep the tiled configs within 256 invocations and 32 KiB of workgroup memory, and drop those a device cannot fit', () => {
    const defaults = {
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupSizeX: 256,
      maxComputeWorkgroupStorageSize: 16384,
    };
    for (const c of TILED_GEMM_CONFIGS) {
      expect(tiledWorkgroupSize(c)).toBeLessThanOrEqual(256);
      expect(tiledWorkgroupBytes(c)).toBeLessThanOrEqual(32768);
    }
    // The 16 KiB compat default leaves out the configs that need more.
    const fitting = TILED_GEMM_CONFIGS.filter((c) => tiledFits(c, defaults as GPUSupportedLimits));
    expect(fitting.length).toBeGreaterThan(0);
    expect(fitting.every((c) => tiledWorkgroupBytes(c) <= 16384)).toBe(true);
  });
});
