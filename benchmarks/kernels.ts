/**
 * Kernel micro-benchmarks at the blog CNN's real shapes (batch 32), pneumo
 * against TensorFlow.js's webgpu backend on the same adapter in the same
 * process.
 *
 *   npm run bench                               # llvmpipe (or PNEUMO_ADAPTER=...)
 *   npm run bench -- --adapter swiftshader      # llvmpipe | swiftshader | native
 *   npm run bench -- --kernel-class gpu         # force a kernel class's candidates (here: the GPU-shaped ones)
 *   npm run bench -- --no-tfjs                  # pneumo only
 *   npm run bench -- --only conv                # ops whose name contains "conv"
 *   npm run bench -- --variants --only conv     # also every stride-1 conv variant (three passes), untuned, one row each
 *   npm run bench -- --model resnet --only conv # the app's ResNet's stride-1 conv layers instead of the blog CNN's (and its batch norms)
 *
 * Prints the adapter, its kernel class and the candidates tuned over, then a
 * table (median ms, GFLOP/s or GB/s, the variant the tuner chose, the TF.js
 * time and the ratio), and writes it as JSON to
 * benchmarks/results/kernels-<adapter>-<class>.json. Ops faster than a few
 * ms are run several times per sync, so submit and wait do not dominate.
 */
import {
  adapterName,
  type Conv2dShape,
  conv2dForward,
  conv2dInputGrad,
  convForwardCandidates,
  convForwardVariants,
  convInputGradVariants,
  type ConvVariant,
  isStride1Variant,
  type WeightGradVariant,
  weightGradVariants,
  withReductionChain,
  convInputGradCandidates,
  convOutSize,
  convWeightGrad,
  convWeightGradCandidates,
  crossEntropyBackward,
  crossEntropyForward,
  type GpuContext,
  matmul,
  type MatmulShape,
  maxPool2dBackward,
  maxPool2dForward,
  pickConvForward,
  pickConvInputGrad,
  pickConvWeightGrad,
  matmulCandidates,
  pickMatmul,
  unary,
  binary,
  batchNormApply,
  batchNormBackward,
  batchNormStats,
} from '@pneumo/kernels';
import { createDevice } from '@pneumo/kernels/node';
import type { Tensor as TfTensor, Tensor4D } from '@tensorflow/tfjs-core';
import {
  BLOG_CONV_LAYERS,
  blogConvShape,
  RESNET_CONV_LAYERS,
  parseBenchArgs,
  variantName,
  writeResults,
} from './common.js';
import { gbps, gflops, medianMs } from './stats.js';
import { loadTfjs, type Tf, type TfHandle } from './tfjs.js';

const args = parseBenchArgs(process.argv.slice(2), 'bench [options]  (per-kernel ms, GFLOP/s and GB/s against TF.js)', {
  model: { value: 'blog-cnn|resnet', help: 'whose convolution layers (default blog-cnn; resnet adds batch-norm rows)' },
  only: { value: 'TEXT', help: 'only the rows whose name contains TEXT' },
  variants: { help: 'time every kernel variant, not only the tuned one' },
  'no-tfjs': { help: 'skip TF.js' },
});
const withTfjs = !args.flag('no-tfjs');
const only = args.value('only') ?? '';
const everyVariant = args.flag('variants');
const BATCH = 32;
if (!['blog-cnn', 'resnet', undefined].includes(args.value('model')))
  throw new Error(`--model: blog-cnn or resnet, got ${args.value('model')}`);
const convLayers = args.value('model') === 'resnet' ? RESNET_CONV_LAYERS : BLOG_CONV_LAYERS;

interface Bench {
  name: string;
  flops?: number;
  bytes?: number;
  /** Encodes the op once (pneumo); returns the variant used. */
  pneumo: () => string;
  /** Runs the op once (TF.js); returns tensors to dispose. */
  tfjs?: (tf: Tf) => TfTensor | TfTensor[];
  cleanup?: () => void;
}

function buf(ctx: GpuContext, elements: number): GPUBuffer {
  const b = ctx.alloc(Math.max(16, elements * 4));
  const data = new Float32Array(elements);
  for (let i = 0; i < elements; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  ctx.write(b, data);
  return b;
}

function convBenches(ctx: GpuContext, tf: TfHandle | null, layer: readonly [number, number, number]): Bench[] {
  const s: Conv2dShape = blogConvShape(layer, BATCH);
  const { ci, co, h: hw } = s;
  const { oh, ow } = convOutSize(s);
  const x = buf(ctx, BATCH * ci * hw * hw);
  const w = buf(ctx, co * ci * 9);
  const b = buf(ctx, co);
  const y = buf(ctx, BATCH * co * oh * ow);
  const dx = buf(ctx, BATCH * ci * hw * hw);
  const dw = buf(ctx, co * ci * 9);
  const flops = 2 * BATCH * co * oh * ow * ci * 9;
  const t = tf?.tf;
  const tx = t?.randomNormal([BATCH, hw, hw, ci]) as Tensor4D | undefined;
  const tw = t?.randomNormal([3, 3, ci, co]) as Tensor4D | undefined;
  const tdy = t?.randomNormal([BATCH, oh, ow, co]) as Tensor4D | undefined;
  const tb = t?.randomNormal([co]);
  const name = `conv ${ci}->${co} ${hw}x${hw}`;
  // With --variants: each stride-1 register variant of the three passes, as it runs untuned, the
  // Winograd ones with each reduction chain a kernel class uses (kc 1, 2, 4).
  const chained = <V extends { kind: string }>(v: V): V[] => {
    const all = [1, 2, 4].map((kc) => withReductionChain(v, kc));
    return [...new Map(all.map((c) => [JSON.stringify(c), c])).values()];
  };
  const fixedWeight = (v: WeightGradVariant): Bench => ({
    name: `${name} dWeight ${variantName(v)}`,
    flops,
    pneumo: () => {
      convWeightGrad(ctx, x, y, dw, s, v);
      return variantName(v);
    },
  });
  const fixed = (pass: 'forward' | 'dInput', v: ConvVariant): Bench => ({
    name: `${name} ${pass} ${variantName(v)}`,
    flops,
    pneumo: () => {
      if (pass === 'forward') conv2dForward(ctx, x, w, b, y, s, v);
      else conv2dInputGrad(ctx, y, w, dx, s, v);
      return variantName(v);
    },
  });
  const variants = everyVariant
    ? [
        ...convForwardVariants(s)
          .filter(isStride1Variant)
          .flatMap(chained)
          .map((v) => fixed('forward', v)),
        ...convInputGradVariants(s)
          .filter(isStride1Variant)
          .flatMap(chained)
          .map((v) => fixed('dInput', v)),
        ...weightGradVariants(s)
          .filter((v) => v.kind !== 'direct' && v.kind !== 'tiled')
          .flatMap(chained)
          .map(fixedWeight),
      ]
    : [];
  return [
    ...variants,
    {
      name: `${name} forward`,
      flops,
      pneumo: () => {
        const v = pickConvForward(ctx, s);
        conv2dForward(ctx, x, w, b, y, s, v);
        return variantName(v);
      },
      tfjs: (tf) => tf.fused.conv2d({ x: tx!, filter: tw!, strides: 1, pad: 'same', bias: tb! }),
    },
    {
      name: `${name} dInput`,
      flops,
      pneumo: () => {
        const v = pickConvInputGrad(ctx, s);
        conv2dInputGrad(ctx, y, w, dx, s, v);
        return variantName(v);
      },
      tfjs: (tf) => tf.conv2dTranspose(tdy!, tw!, [BATCH, hw, hw, ci], 1, 'same'),
    },
    {
      name: `${name} dWeight`,
      flops,
      pneumo: () => {
        const v = pickConvWeightGrad(ctx, s);
        convWeightGrad(ctx, x, y, dw, s, v);
        return variantName(v);
      },
      tfjs: (tf) =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tx!, dy: tdy! }, {
          strides: 1,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: [3, 3, ci, co],
        } as never) as TfTensor,
      cleanup: () => {
        for (const bb of [x, w, b, y, dx, dw]) ctx.free(bb);
        for (const tt of [tx, tw, tdy, tb]) tt?.dispose();
      },
    },
  ];
}

function poolBenches(ctx: GpuContext, tf: TfHandle | null, c: number, hw: number): Bench[] {
  const s = { planes: BATCH * c, h: hw, w: hw, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 };
  const n = BATCH * c * hw * hw;
  const x = buf(ctx, n);
  const y = buf(ctx, n / 4);
  const idx = buf(ctx, n / 4);
  const dx = buf(ctx, n);
  const t = tf?.tf;
  const tx = t?.randomNormal([BATCH, hw, hw, c]) as Tensor4D | undefined;
  const ty = tx ? t!.maxPool(tx, 2, 2, 'valid') : undefined;
  const name = `maxpool ${c}@${hw}x${hw}`;
  return [
    {
      name: `${name} forward`,
      bytes: 4 * (n + n / 2),
      pneumo: () => {
        maxPool2dForward(ctx, x, y, idx, s);
        return 'gather';
      },
      tfjs: (tf) => tf.maxPool(tx!, 2, 2, 'valid'),
    },
    {
      name: `${name} backward`,
      bytes: 4 * (n + n / 2),
      pneumo: () => {
        maxPool2dBackward(ctx, y, idx, dx, s);
        return 'windows';
      },
      tfjs: (tf) =>
        tf.engine().runKernel('MaxPoolGrad', { dy: ty!, input: tx!, output: ty! }, {
          filterSize: 2,
          strides: 2,
          pad: 'valid',
        } as never) as TfTensor,
      cleanup: () => {
        for (const bb of [x, y, idx, dx]) ctx.free(bb);
        tx?.dispose();
        ty?.dispose();
      },
    },
  ];
}

/** Batch norm (+ fused ReLU) at one of the ResNet's activation shapes: statistics, the normalizing pass, the backward (sums + input gradient). */
function batchNormBenches(ctx: GpuContext, c: number, hw: number): Bench[] {
  const n = BATCH * c * hw * hw;
  const s = { n: BATCH, c, hw: hw * hw, eps: 1e-5 };
  const x = buf(ctx, n);
  const y = buf(ctx, n);
  const g = buf(ctx, n);
  const dx = buf(ctx, n);
  const stats = buf(ctx, 2 * c);
  const w = buf(ctx, c);
  const b = buf(ctx, c);
  const sums = buf(ctx, 2 * c);
  const name = `batchnorm ${c}@${hw}x${hw}`;
  return [
    {
      name: `${name} stats`,
      bytes: 8 * n,
      pneumo: () => {
        batchNormStats(ctx, x, stats, s);
        return 'two passes';
      },
    },
    {
      name: `${name} apply+relu`,
      bytes: 8 * n,
      pneumo: () => {
        batchNormApply(ctx, x, stats, w, b, y, { ...s, relu: true });
        return 'elementwise';
      },
    },
    {
      name: `${name} backward+relu`,
      // Sums read g, y, x; the input gradient reads them again and writes dx.
      bytes: 28 * n,
      pneumo: () => {
        batchNormBackward(ctx, g, y, x, stats, w, sums, dx, s);
        return 'sums + elementwise';
      },
      cleanup: () => {
        for (const bb of [x, y, g, dx, stats, w, b, sums]) ctx.free(bb);
      },
    },
  ];
}

function linearBenches(ctx: GpuContext, tf: TfHandle | null, fin: number, fout: number): Bench[] {
  const x = buf(ctx, BATCH * fin);
  const w = buf(ctx, fout * fin);
  const b = buf(ctx, fout);
  const y = buf(ctx, BATCH * fout);
  const dx = buf(ctx, BATCH * fin);
  const dw = buf(ctx, fout * fin);
  const base = { batch: 1, aBatchStride: 0, bBatchStride: 0 };
  const fwd: MatmulShape = { ...base, m: BATCH, n: fout, k: fin, transA: false, transB: true };
  const bx: MatmulShape = { ...base, m: BATCH, n: fin, k: fout, transA: false, transB: false };
  const bw: MatmulShape = { ...base, m: fout, n: fin, k: BATCH, transA: true, transB: false };
  const flops = 2 * BATCH * fin * fout;
  const t = tf?.tf;
  const tx = t?.randomNormal([BATCH, fin]);
  const tw = t?.randomNormal([fout, fin]);
  const tb = t?.randomNormal([fout]);
  const tdy = t?.randomNormal([BATCH, fout]);
  const run = (s: MatmulShape, a: GPUBuffer, bb: GPUBuffer, out: GPUBuffer, bias: GPUBuffer | null) => () => {
    const cfg = pickMatmul(ctx, s, bias !== null);
    matmul(ctx, a, bb, out, s, bias, cfg);
    return variantName(cfg);
  };
  const name = `linear ${fin}->${fout}`;
  return [
    {
      name: `${name} forward`,
      flops,
      pneumo: run(fwd, x, w, y, b),
      tfjs: (tf) => tf.fused.matMul({ a: tx!, b: tw!, transposeB: true, bias: tb! }),
    },
    { name: `${name} dInput`, flops, pneumo: run(bx, y, w, dx, null), tfjs: (tf) => tf.matMul(tdy!, tw!) },
    {
      name: `${name} dWeight`,
      flops,
      pneumo: run(bw, y, x, dw, null),
      tfjs: (tf) => tf.matMul(tdy!, tx!, true, false),
      cleanup: () => {
        for (const bb of [x, w, b, y, dx, dw]) ctx.free(bb);
        for (const tt of [tx, tw, tb, tdy]) tt?.dispose();
      },
    },
  ];
}

function otherBenches(ctx: GpuContext, tf: TfHandle | null): Bench[] {
  const n = BATCH * 64 * 32 * 32;
  const x = buf(ctx, n);
  const y = buf(ctx, n);
  const g = buf(ctx, n);
  const t = tf?.tf;
  const tx = t?.randomNormal([n]);
  const tg = t?.randomNormal([n]);
  const logits = buf(ctx, BATCH * 10);
  const labels = ctx.alloc(BATCH * 4);
  ctx.write(
    labels,
    Int32Array.from({ length: BATCH }, (_, i) => i % 10),
  );
  const pairs = buf(ctx, BATCH * 2);
  const scale = buf(ctx, 1);
  const dl = buf(ctx, BATCH * 10);
  const tl = t?.randomNormal([BATCH, 10]);
  const toh = t
    ? t.oneHot(
        t.tensor1d(
          Array.from({ length: BATCH }, (_, i) => i % 10),
          'int32',
        ),
        10,
      )
    : undefined;
  const M = 1024;
  const a = buf(ctx, M * M);
  const bm = buf(ctx, M * M);
  const c = buf(ctx, M * M);
  const ta = t?.randomNormal([M, M]);
  const tbm = t?.randomNormal([M, M]);
  const mm: MatmulShape = {
    batch: 1,
    m: M,
    n: M,
    k: M,
    transA: false,
    transB: false,
    aBatchStride: 0,
    bBatchStride: 0,
  };
  return [
    {
      name: 'relu forward [32,64,32,32]',
      bytes: 8 * n,
      pneumo: () => {
        unary(ctx, 'relu', x, y, [n], [1]);
        return 'elementwise';
      },
      tfjs: (tf) => tf.relu(tx!),
    },
    {
      name: 'relu backward [32,64,32,32]',
      bytes: 12 * n,
      pneumo: () => {
        binary(ctx, 'relu_grad', x, [1], g, [1], y, [n]);
        return 'elementwise';
      },
      // TF.js's own relu gradient: dy * step(x).
      tfjs: (tf) => tf.tidy(() => tf.mul(tg!, tf.step(tx!))),
    },
    {
      name: 'softmax-cross-entropy [32,10] fwd+bwd',
      bytes: 4 * (BATCH * 10 * 2 + BATCH * 3),
      pneumo: () => {
        crossEntropyForward(ctx, logits, labels, null, pairs, BATCH, 10);
        crossEntropyBackward(ctx, logits, labels, null, scale, dl, BATCH, 10, false);
        return 'fused';
      },
      // The loss, and its gradient as TF.js's own gradient computes it: (softmax - onehot) / batch.
      tfjs: (tf) =>
        tf.tidy(() => [tf.losses.softmaxCrossEntropy(toh!, tl!), tf.div(tf.sub(tf.softmax(tl!), toh!), BATCH)]),
    },
    {
      name: 'matmul 1024x1024x1024',
      flops: 2 * M ** 3,
      pneumo: () => {
        const cfg = pickMatmul(ctx, mm, false);
        matmul(ctx, a, bm, c, mm, null, cfg);
        return variantName(cfg);
      },
      tfjs: (tf) => tf.matMul(ta!, tbm!),
      cleanup: () => {
        for (const bb of [x, y, g, logits, labels, pairs, scale, dl, a, bm, c]) ctx.free(bb);
        for (const tt of [tx, tg, tl, toh, ta, tbm]) tt?.dispose();
      },
    },
  ];
}

interface Row {
  name: string;
  ms: number;
  rate: string;
  variant: string;
  tfjsMs: number | null;
  speedup: number | null;
}

/** The candidate sets the tuner times, for the log: per op, at the blog's 64->128 layer and linear 4096->1024. */
function describeCandidates(ctx: GpuContext): string[] {
  const s = blogConvShape([64, 128, 16], BATCH);
  const lin: MatmulShape = {
    batch: 1,
    m: BATCH,
    n: 1024,
    k: 4096,
    transA: false,
    transB: true,
    aBatchStride: 0,
    bBatchStride: 0,
  };
  const list = (vs: object[]) => vs.map(variantName).join(' | ');
  const p = ctx.policy;
  return [
    `kernel class: ${ctx.kernelClass} (tiled kernels ${p.tiled ? 'first' : 'off'}, register tiles unrolling <= ${p.maxUnroll} FMAs, <= ${p.maxCandidates} candidates)`,
    `  conv forward:  ${list(convForwardCandidates(ctx, s))}`,
    `  conv dInput:   ${list(convInputGradCandidates(ctx, s))}`,
    `  conv dWeight:  ${list(convWeightGradCandidates(ctx, s))}`,
    `  matmul (A·Bᵀ): ${list(matmulCandidates(ctx, lin))}`,
  ];
}

async function main(): Promise<void> {
  const adapter = args.adapter;
  const ctx = await createDevice({ adapter, tune: true });
  const tf = withTfjs ? await loadTfjs(adapter) : null;
  const benches: Bench[] = [
    ...convLayers.flatMap((layer) => convBenches(ctx, tf, layer)),
    ...poolBenches(ctx, tf, 64, 32),
    ...poolBenches(ctx, tf, 128, 16),
    ...poolBenches(ctx, tf, 256, 8),
    ...(args.value('model') === 'resnet'
      ? RESNET_CONV_LAYERS.flatMap(([, c, hw]) => batchNormBenches(ctx, c, hw))
      : []),
    ...linearBenches(ctx, tf, 4096, 1024),
    ...linearBenches(ctx, tf, 1024, 512),
    ...linearBenches(ctx, tf, 512, 10),
    ...otherBenches(ctx, tf),
  ];
  const rows: Row[] = [];
  console.log(`adapter: ${adapterName(ctx.adapter)}${tf ? '   baseline: TF.js webgpu on the same adapter' : ''}`);
  console.log(`${describeCandidates(ctx).join('\n')}\n`);
  const header = `${'op'.padEnd(40)} ${'ms'.padStart(8)} ${'rate'.padStart(14)}  ${'variant'.padEnd(22)} ${'TF.js ms'.padStart(9)} ${'x faster'.padStart(8)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  for (const b of benches) {
    if (only && !b.name.includes(only)) {
      b.cleanup?.();
      continue;
    }
    // First call queues tuning; the sync runs it; later calls use the winner.
    b.pneumo();
    await ctx.sync();
    let variant = '';
    const ms = await medianMs(async (times) => {
      for (let i = 0; i < times; i++) variant = b.pneumo();
      await ctx.sync();
    });
    let tfjsMs: number | null = null;
    if (tf && b.tfjs) {
      tfjsMs = await medianMs(async (times) => {
        const outs: TfTensor[] = [];
        for (let i = 0; i < times; i++) {
          const out = b.tfjs!(tf.tf);
          outs.push(...(Array.isArray(out) ? out : [out]));
        }
        await tf.sync();
        for (const t of outs) t.dispose();
      });
    }
    const rate = b.flops ? `${gflops(b.flops, ms).toFixed(1)} GFLOP/s` : `${gbps(b.bytes!, ms).toFixed(1)} GB/s`;
    const speedup = tfjsMs === null ? null : tfjsMs / ms;
    rows.push({ name: b.name, ms, rate, variant, tfjsMs, speedup });
    console.log(
      `${b.name.padEnd(40)} ${ms.toFixed(2).padStart(8)} ${rate.padStart(14)}  ${variant.padEnd(22)} ${(tfjsMs?.toFixed(2) ?? '-').padStart(9)} ${(speedup?.toFixed(1) ?? '-').padStart(8)}`,
    );
    b.cleanup?.();
  }
  writeResults(`kernels-${ctx.adapter.backend}-${ctx.kernelClass}`, {
    adapter: ctx.adapter,
    kernelClass: ctx.kernelClass,
    candidates: describeCandidates(ctx),
    batch: BATCH,
    rows,
    tuning: ctx.tuner.history,
  });
  ctx.destroy();
}

await main();
