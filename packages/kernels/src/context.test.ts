import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketSize } from './buffer-pool.js';
import type { GpuContext } from './context.js';
import { defineKernel, ENTRY_BUILTINS, LINEAR_WORKGROUP, output } from './kernel.js';
import { unary } from './kernels/elementwise.js';
import { createDevice } from './node.js';
import { paramBytes, paramStruct } from './params.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createDevice({ log: false });
});
afterAll(() => ctx?.destroy());

const f32 = (buf: ArrayBuffer) => Array.from(new Float32Array(buf));

describe('GpuContext', () => {
  it('reports a real adapter', () => {
    expect(ctx.adapter.backend).toMatch(/native|llvmpipe|swiftshader/);
    // The adapter's own limits were requested, not compat-mode defaults.
    expect(ctx.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
  });

  it('batches dispatches into one submit until a result is read', async () => {
    const x = ctx.alloc(16);
    ctx.write(x, new Float32Array([1, -2, 3, -4]));
    const before = ctx.stats();
    const y = ctx.alloc(16);
    const z = ctx.alloc(16);
    for (let i = 0; i < 10; i++) {
      unary(ctx, 'relu', x, y, [4], [1]);
      unary(ctx, 'mul_scalar', y, z, [4], [1], 2);
    }
    const out = f32(await ctx.read(z, 16));
    const after = ctx.stats();
    expect(out).toEqual([2, 0, 6, 0]);
    expect(after.dispatches - before.dispatches).toBe(20);
    expect(after.submits - before.submits).toBe(1);
    for (const b of [x, y, z]) ctx.free(b);
  });

  it('orders host writes after pending dispatches that read the buffer', async () => {
    const x = ctx.alloc(16);
    const y = ctx.alloc(16);
    ctx.write(x, new Float32Array([1, 2, 3, 4]));
    unary(ctx, 'neg', x, y, [4], [1]);
    ctx.write(x, new Float32Array([9, 9, 9, 9])); // must not be seen by the neg above
    expect(f32(await ctx.read(y, 16))).toEqual([-1, -2, -3, -4]);
    ctx.free(x);
    ctx.free(y);
  });

  it('reuses pooled buffers of the same size bucket', () => {
    const a = ctx.alloc(1000);
    ctx.free(a);
    const created = ctx.stats().created;
    const b = ctx.alloc(900);
    expect(b).toBe(a);
    expect(ctx.stats().created).toBe(created);
    ctx.free(b);
    expect(bucketSize(5000)).toBe(8192);
    expect(bucketSize(1)).toBe(256);
  });

  it('turns a WGSL compile error into an exception naming the kernel', async () => {
    const bad = defineKernel({
      name: 'broken_kernel',
      bindings: [output('Y')],
      params: [['n', 'u32']],
      workgroupSize: 1,
      body: `@compute @workgroup_size(1) fn main() { Y[0] = undefined_thing; }`,
    });
    const y = ctx.alloc(4);
    ctx.dispatch(bad, [y], { n: 1 }, 1, 'broken op [1]');
    await expect(ctx.sync()).rejects.toThrow(/broken_kernel[\s\S]*undefined_thing/);
    ctx.free(y);
    // The context keeps working afterwards.
    await ctx.sync();
  });

  it('turns a validation error into an exception naming the dispatch', async () => {
    const k = defineKernel({
      name: 'writes_two',
      bindings: [output('Y', 'vec4<f32>')],
      params: [['n', 'u32']],
      workgroupSize: 1,
      body: `@compute @workgroup_size(1) fn main() { Y[0] = vec4<f32>(1.0); }`,
    });
    const y = ctx.alloc(256);
    // A 4-byte binding is smaller than the shader's minimum of one vec4.
    ctx.dispatch(k, [{ buffer: y, offset: 0, size: 4 }], { n: 1 }, 1, 'tiny binding [1]');
    await expect(ctx.sync()).rejects.toThrow(/WebGPU error while running tiny binding \[1\]/);
    ctx.free(y);
  });

  it('rejects bad parameters before reaching the GPU', () => {
    const y = ctx.alloc(16);
    expect(() => unary(ctx, 'relu', y, y, [1, 2, 3, 4, 5, 6, 7, 8, 9], new Array(9).fill(1))).toThrow(
      /rank 9 are not supported/,
    );
    expect(() => ctx.alloc(2 ** 40)).toThrow(/cannot allocate/);
    ctx.free(y);
  });

  it('splits launches over the per-dimension workgroup limit', () => {
    const max = ctx.limits.maxComputeWorkgroupsPerDimension;
    expect(ctx.grid(10)).toEqual([10, 1, 1]);
    const [x, y] = ctx.grid(max * 3 + 5);
    expect(x).toBeLessThanOrEqual(max);
    expect(x * y).toBeGreaterThanOrEqual(max * 3 + 5);
  });
});

describe('kernel parameters', () => {
  it('lays out vec8u fields on 16-byte boundaries', () => {
    const spec = [
      ['n', 'u32'],
      ['shape', 'vec8u'],
      ['s', 'f32'],
    ] as const;
    expect(paramStruct(spec)).toContain('_pad0: u32');
    expect(paramBytes(spec)).toBe(64);
  });

  it('runs a kernel that uses the linear workgroup index', async () => {
    const k = defineKernel({
      name: 'iota',
      bindings: [output('Y', 'u32')],
      params: [['n', 'u32']],
      workgroupSize: 4,
      body: `@compute @workgroup_size(4) fn main(${ENTRY_BUILTINS}) {
  ${LINEAR_WORKGROUP}
  let i = wg_linear * 4u + lid;
  if (i < p.n) { Y[i] = i; }
}`,
    });
    const y = ctx.alloc(40);
    ctx.dispatch(k, [y], { n: 10 }, 3);
    expect(Array.from(new Uint32Array(await ctx.read(y, 40)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    ctx.free(y);
  });
});
