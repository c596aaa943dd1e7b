import { describe, expect, it } from 'vitest';
import * as K from '@pneumo/kernels';
import { adapterPeak, labelFlops, llvmpipeLanes } from '../benchmarks/flops.js';

const adapter = (device: string, description = ''): K.AdapterDescription => ({
  vendor: '',
  architecture: '',
  device,
  description,
  backend: 'test',
  isFallbackAdapter: false,
});

describe("the profile's kernel-efficiency line", () => {
  it('counts a convolution pass from its label: 2 x n x co x oh x ow x ci x kh x kw, strides and padding included', () => {
    const fwd = 2 * 32 * 16 * 64 * 64 * 16 * 9;
    expect(labelFlops('conv2d [32,16,64,64] * [16,16,3,3] s1x1 p1x1')).toBe(fwd);
    expect(labelFlops('conv2d backward (input) [32,16,64,64] * [16,16,3,3] s1x1 p1x1')).toBe(fwd);
    // 7x9 input, 3x3 kernel, stride 2, padding 1: a 4x5 output.
    expect(labelFlops('conv2d backward (weight) [2,3,7,9] * [5,3,3,3] s2x2 p1x1')).toBe(2 * 2 * 5 * 4 * 5 * 3 * 9);
    // Its weight-layout pass moves data, no arithmetic.
    expect(labelFlops('conv2d [32,16,64,64] * [16,16,3,3] s1x1 p1x1 (weight layout)')).toBeNull();
    expect(labelFlops('batchNorm stats [32, 16, 4096]')).toBeNull();
  });

  it('counts a matmul from the label the kernels give it, transposed or not', () => {
    const s = { batch: 2, m: 32, n: 1024, k: 4096, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
    expect(labelFlops(K.matmulLabel(s))).toBe(2 * 2 * 32 * 1024 * 4096);
    expect(labelFlops(K.matmulLabel({ ...s, transA: true, transB: false }))).toBe(2 * 2 * 32 * 1024 * 4096);
  });

  it('knows a peak only where the lanes are reported: llvmpipe, 8 or 16 lanes', () => {
    expect(llvmpipeLanes(adapter('llvmpipe-llvm-15-0-6-256-bits-'))).toBe(8);
    expect(llvmpipeLanes(adapter('', 'llvmpipe (LLVM 15.0.6, 512 bits)'))).toBe(16);
    expect(llvmpipeLanes(adapter('SwiftShader Device (Subzero)'))).toBeNull();
    expect(adapterPeak(adapter('NVIDIA H200'))).toBeNull();
    const peak = adapterPeak(adapter('llvmpipe-llvm-15-0-6-256-bits-'));
    if (process.platform === 'linux') {
      expect(peak!.gflops).toBeGreaterThan(0);
      expect(peak!.how).toMatch(/threads x 8 lanes x 2 FMA pipes/);
    }
  });
});
