/**
 * Golden tests: forward and backward of conv2d, maxPool2d (with ties, and
 * its indices), avgPool2d, adaptiveAvgPool2d, gelu, linear and
 * cross-entropy against PyTorch's values
 * (scripts/make-kernel-fixtures.py), on webgpu and on the cpu backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool2d,
  avgPool2d,
  conv2d,
  crossEntropy,
  gelu,
  linear,
  maxPool2d,
  maxPool2dWithIndices,
  type Tensor,
} from '@pneumo/tensor';
import { decode, type Encoded, load, readFixtures } from './support/fixtures.js';
import { backendsUnderTest, maxRelDiff, requireWebGpu } from './support/webgpu.js';

interface Case {
  name: string;
  op: string;
  args: Record<string, number | string>;
  inputs: Record<string, Encoded>;
  upstream: Encoded;
  output: Encoded;
  grads: Record<string, Encoded>;
}

const { torch, cases } = readFixtures<{ torch: string; cases: Case[] }>('kernels.json');
const TOL = 2e-5;
const worst: Record<string, number> = {};

beforeAll(requireWebGpu);
afterAll(() => {
  console.log(
    `max relative error vs PyTorch ${torch} (webgpu):\n${Object.entries(worst)
      .map(([k, v]) => `  ${k.padEnd(12)} ${v.toExponential(2)}`)
      .join('\n')}`,
  );
});

function run(c: Case, t: Record<string, Tensor>): Tensor {
  const a = c.args;
  switch (c.op) {
    case 'conv2d':
      return conv2d(t.x!, t.weight!, t.bias ?? null, { stride: a.stride as number, padding: a.padding as number });
    case 'maxPool2d':
      return maxPool2d(t.x!, a.kernel as number, a.stride as number, a.padding as number);
    case 'avgPool2d':
      return avgPool2d(t.x!, a.kernel as number, a.stride as number, a.padding as number, {
        countIncludePad: a.countIncludePad === 1,
      });
    case 'adaptiveAvgPool2d':
      return adaptiveAvgPool2d(t.x!, [a.outH as number, a.outW as number]);
    case 'gelu':
      return gelu(t.x!);
    case 'maxPool2dIndices':
      return maxPool2dWithIndices(t.x!, a.kernel as number, a.stride as number, a.padding as number).indices;
    case 'linear':
      return linear(t.x!, t.weight!, t.bias ?? null);
    case 'crossEntropy':
      return crossEntropy(t.logits!, t.labels!, { weight: t.weight ?? null, reduction: a.reduction as 'mean' });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

describe.each(backendsUnderTest())('matches PyTorch on %s', (device) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const t: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(c.inputs)) t[k] = load(v, device, k in c.grads);
    const out = run(c, t);
    expect(out.shape).toEqual(c.output.shape);
    if (c.op === 'maxPool2dIndices') {
      // Integer indices: exactly PyTorch's.
      expect(Array.from(await out.data())).toEqual(Array.from(decode(c.output)));
      for (const x of [...Object.values(t), out]) x.dispose();
      return;
    }
    let err = maxRelDiff(await out.data(), decode(c.output));
    expect(err, 'output').toBeLessThanOrEqual(TOL);
    const up = load(c.upstream, device);
    out.backward(up);
    for (const [k, g] of Object.entries(c.grads)) {
      const e = maxRelDiff(await t[k]!.grad!.data(), decode(g));
      expect(e, `gradient of ${k}`).toBeLessThanOrEqual(TOL);
      err = Math.max(err, e);
    }
    if (device === 'webgpu') worst[c.op] = Math.max(worst[c.op] ?? 0, err);
    for (const x of [...Object.values(t), out, up]) x.dispose();
  });
});
