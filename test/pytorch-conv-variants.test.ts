/**
 * Every convolution kernel variant (forward, input gradient, weight
 * gradient) against PyTorch's values for the conv2d fixtures
 * (scripts/make-kernel-fixtures.py), at the kernel level: the tensor-level
 * golden test only sees the variant the tuner would pick. Prints the worst
 * relative error per variant family (the Winograd ones included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as K from '@pneumo/kernels';
import { createDevice } from '@pneumo/kernels/node';
import { decode, type Encoded, readFixtures } from './support/fixtures.js';
import { maxRelDiff } from './support/webgpu.js';

/** The Winograd families (F(2x2) and F(4x4)), run here on every 3x3 stride-1 geometry. */
const WINO_KINDS: readonly string[] = ['wino', 'wino4'];

interface Case {
  name: string;
  op: string;
  args: Record<string, number>;
  inputs: Record<string, Encoded>;
  upstream: Encoded;
  output: Encoded;
  grads: Record<string, Encoded>;
}

const { torch, cases } = readFixtures<{ torch: string; cases: Case[] }>('kernels.json');
const convs = cases.filter((c) => c.op === 'conv2d');
const TOL = 2e-5;
const worst: Record<string, number> = {};

let ctx: K.GpuContext;
beforeAll(async () => {
  ctx = await createDevice();
});
afterAll(() => {
  console.log(
    `max relative error vs PyTorch ${torch}, per conv variant family:\n${Object.entries(worst)
      .map(([k, v]) => `  ${k.padEnd(18)} ${v.toExponential(2)}`)
      .join('\n')}`,
  );
  ctx?.destroy();
});

function upload(data: Float32Array | Int32Array): GPUBuffer {
  const b = ctx.alloc(Math.max(16, data.byteLength));
  ctx.write(b, data);
  return b;
}

async function check(what: string, kind: string, out: GPUBuffer, want: Float32Array): Promise<void> {
  const got = new Float32Array(await ctx.read(out, want.length * 4));
  const err = maxRelDiff(got, want);
  worst[`${what} ${kind}`] = Math.max(worst[`${what} ${kind}`] ?? 0, err);
  // F(4x4) Winograd amplifies float32 rounding several-fold: the golden tests' 1e-4 (variants.test.ts says why).
  expect(err, `${what} ${kind}`).toBeLessThanOrEqual(kind === 'wino4' ? 1e-4 : TOL);
  ctx.free(out);
}

describe('every conv kernel variant matches PyTorch', () => {
  it.each(convs.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const [n, ci, h, w] = c.inputs.x!.shape as [number, number, number, number];
    const [co, , kh, kw] = c.inputs.weight!.shape as [number, number, number, number];
    const { stride, padding } = c.args as { stride: number; padding: number };
    const s: K.Conv2dShape = { n, ci, h, w, co, kh, kw, sh: stride, sw: stride, ph: padding, pw: padding };
    const x = upload(decode(c.inputs.x!));
    const wt = upload(decode(c.inputs.weight!));
    const bias = c.inputs.bias ? upload(decode(c.inputs.bias)) : null;
    const dy = upload(decode(c.upstream));
    const y = decode(c.output) as Float32Array;
    const dx = decode(c.grads.x!) as Float32Array;
    const dw = decode(c.grads.weight!) as Float32Array;
    // Winograd on every 3x3 stride-1 case, also where the tuner would not offer it.
    const wino = kh === 3 && kw === 3 && stride === 1;
    const plus = <V extends { kind: string }>(vs: V[], extra: V[]) => [
      ...vs.filter((v) => !WINO_KINDS.includes(v.kind)),
      ...(wino ? extra : []),
    ];
    const winoConv = [
      ...K.WINOGRAD_TILES.map((t) => ({ kind: 'wino' as const, ...t })),
      ...K.WINOGRAD4_TILES.map((t) => ({ kind: 'wino4' as const, ...t })),
    ];
    for (const v of plus(K.convForwardVariants(s), winoConv)) {
      const out = ctx.alloc(y.length * 4);
      K.conv2dForward(ctx, x, wt, bias, out, s, v);
      await check('forward', v.kind, out, y);
    }
    for (const v of plus(K.convInputGradVariants(s), winoConv)) {
      const out = ctx.alloc(dx.length * 4);
      K.conv2dInputGrad(ctx, dy, wt, out, s, v);
      await check('dInput', v.kind, out, dx);
    }
    for (const v of plus(K.weightGradVariants(s), [
      ...K.WINOGRAD_WEIGHT_TILES.map((t) => ({ kind: 'wino' as const, ...t })),
      ...K.WINOGRAD4_WEIGHT_TILES.map((t) => ({ kind: 'wino4' as const, ...t })),
    ])) {
      const out = ctx.alloc(dw.length * 4);
      K.conv2dWeightGrad(ctx, x, dy, out, s, 1, v);
      await check('dWeight', v.kind, out, dw);
    }
    for (const b of [x, wt, bias, dy]) if (b) ctx.free(b);
  });
});
