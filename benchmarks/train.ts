/**
 * End-to-end throughput of the blog CNN (or the app's ResNet, --model
 * resnet): training steps (forward, loss, backward, optimizer, the loss read
 * back every step as a real loop does) and inference, after the tuner has
 * settled, against PyTorch on the CPU (same model and batch, in the same
 * run) and, for the blog CNN, TensorFlow.js's webgpu backend on the same adapter.
 *
 *   npm run bench:train -- --model resnet [--input-size 64]  # the ResNet (RESNET_DEFAULTS)
 *   npm run bench:train                                   # llvmpipe
 *   npm run bench:train -- --adapter swiftshader --quick  # SGD at batch 32 and inference (batch 64 and 1) only
 *   npm run bench:train -- --kernel-class gpu             # the GPU-shaped kernels
 *   npm run bench:train -- --steps 20 --no-tfjs
 *   npm run bench:train -- --verify                       # first: one step checked against the cpu backend
 *   npm run bench:train -- --profile                      # also: where one SGD batch-32 step's time goes, per op, with GFLOP/s and share of peak
 *   npm run bench:train -- --rounds 3                     # each configuration 3 times, pneumo and PyTorch alternating
 *
 * These VMs' speed drifts by up to 2x over minutes, for both sides; with
 * --rounds N every configuration runs N times, a pneumo run each time
 * followed at once by a PyTorch run of the same configuration, and the
 * table gives the medians and the median of the N ratios (with their range).
 *
 * Prints img/s per configuration and the peak resident memory; JSON in
 * benchmarks/results/train-<adapter>-<class>.json.
 */
import {
  Adam,
  crossEntropy,
  Generator,
  gpuContext,
  init,
  memory,
  noGrad,
  type Optimizer,
  SGD,
  type Tensor,
  tensor,
  tidy,
} from '@pneumo/nn/node';
import { adapterPeak, labelFlops } from './flops.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Profiler } from '@pneumo/kernels';
import { buildModel, type ModelSpec, modelSpec } from '@pneumo/pneumonia';
import { parseBenchArgs, writeResults } from './common.js';
import { loadTfjs, type TfHandle } from './tfjs.js';
import { tfjsBlogCnn } from './tfjs-blog-cnn.js';

const args = parseBenchArgs(
  process.argv.slice(2),
  'bench:train [options]  (training and inference img/s against PyTorch and TF.js)',
  {
    model: { value: 'blog-cnn|resnet', help: 'the network (default blog-cnn)' },
    'input-size': { value: 'N', help: "the ResNet's input side (default 64)" },
    steps: { value: 'N', help: 'timed steps per configuration (default 10; 3 on SwiftShader)' },
    'tfjs-steps': { value: 'N', help: "TF.js's timed steps (default 2)" },
    rounds: { value: 'N', help: 'run each configuration N times, pneumo and PyTorch alternating; medians (default 1)' },
    quick: { help: 'SGD at batch 32 and inference (batch 64 and 1) only' },
    verify: { help: 'first check one step against the cpu backend' },
    profile: {
      help: "also: where one SGD batch-32 step's time goes, per op, and each conv/matmul group's GFLOP/s and share of peak",
    },
    'no-tfjs': { help: 'skip TF.js' },
    'no-torch': { help: 'skip PyTorch' },
  },
);
const quick = args.flag('quick');
const steps = Number(args.value('steps') ?? (args.adapter === 'swiftshader' ? 3 : 10));
const tfjsSteps = Number(args.value('tfjs-steps') ?? 2);
const architecture = (args.value('model') ?? 'blog-cnn') === 'resnet' ? 'resnet' : 'blog-cnn';
const rounds = Number(args.value('rounds') ?? 1);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds: a positive integer, got ${args.value('rounds')}`);
if (!['blog-cnn', 'resnet', undefined].includes(args.value('model')))
  throw new Error(`--model: blog-cnn or resnet, got ${args.value('model')}`);
const spec: ModelSpec = modelSpec(
  { architecture, inputSize: args.value('input-size') ? Number(args.value('input-size')) : undefined },
  3,
);
const size = spec.inputSize;
const makeModel = (o: { device?: 'webgpu' | 'cpu'; generator?: Generator } = {}) => buildModel(spec, o);

interface Config {
  mode: 'train' | 'infer';
  batch: number;
  optimizer?: 'sgd' | 'adam';
}

// Inference at batch 1 is the app's path (one X-ray at a time): small
// shapes that batch-sized kernel tiles can waste most of their work on.
const CONFIGS: Config[] = quick
  ? [
      { mode: 'train', batch: 32, optimizer: 'sgd' },
      { mode: 'infer', batch: 64 },
      { mode: 'infer', batch: 1 },
    ]
  : [
      { mode: 'train', batch: 32, optimizer: 'sgd' },
      { mode: 'train', batch: 32, optimizer: 'adam' },
      { mode: 'train', batch: 16, optimizer: 'sgd' },
      { mode: 'train', batch: 16, optimizer: 'adam' },
      { mode: 'infer', batch: 64 },
      { mode: 'infer', batch: 1 },
    ];

const label = (c: Config) =>
  c.mode === 'train' ? `train ${c.optimizer} batch ${c.batch}` : `inference batch ${c.batch}`;

function randomBatch(batch: number, device: 'webgpu' | 'cpu' = 'webgpu', nudge = 0): { x: Tensor; y: Tensor } {
  const xs = new Float32Array(batch * 3 * size * size);
  // Not periodic: a plain sin(i·k) repeats patches, which puts ReLU inputs on
  // ties near zero where rounding flips masks; then a 1e-6 change of the input
  // moved the ResNet's cpu gradients by 4e-2 and --verify could not tell a
  // kernel bug from rounding. With this input the same change moves them 1e-5.
  for (let i = 0; i < xs.length; i++)
    xs[i] = Math.sin(i * 0.37 + Math.sin(i * 1.618) * 3) * 0.8 * (1 + nudge * Math.sin(i * 0.7));
  const ys = Int32Array.from({ length: batch }, (_, i) => i % 3);
  return { x: tensor(xs, { shape: [batch, 3, size, size], device }), y: tensor(ys, { shape: [batch], device }) };
}

/**
 * One forward and backward pass on the GPU (twice) and on the cpu backend
 * from the same weights: the largest relative difference of the loss and of
 * every gradient, the worst few by name, and how far the two GPU runs differ
 * (non-zero only where a kernel's result depends on scheduling, e.g. a race
 * or float atomics). Proves the kernels the class chose compute the right
 * thing on this adapter before their speed means anything.
 *
 * Some gradients are chaotic at rounding level: a 1e-5 relative change of
 * the input moved the ResNet's (batch 4) layer3.0.conv2.weight gradient by
 * 1e-1 on the cpu backend itself (a ReLU or normalization near a
 * threshold). So the cpu backend also runs on the input nudged by 1e-5 (the
 * order of the Winograd F(4x4) kernels' error), and a gradient passes when
 * it is within 1e-3 of the cpu's or within 10x of how far the cpu's own
 * moved under the nudge.
 */
async function verify(batch: number): Promise<{
  loss: number;
  worstGrad: number;
  worstName: string;
  worst: [string, number, number][];
  repeat: number;
  passed: boolean;
}> {
  const run = async (device: 'webgpu' | 'cpu', nudge = 0) => {
    const model = makeModel({ device, generator: new Generator(7) });
    const { x, y } = randomBatch(batch, device, nudge);
    const loss = tidy(() => crossEntropy(model.forward(x), y));
    loss.backward();
    const grads = new Map<string, Float32Array>();
    for (const [name, p] of model.namedParameters()) grads.set(name, (await p.grad!.data()) as Float32Array);
    const value = await loss.item();
    for (const t of [loss, x, y]) t.dispose();
    model.zeroGrad();
    model.dispose();
    return { value, grads };
  };
  // Largest |got - want| relative to the gradient's own magnitude: elements
  // near zero are sums of many cancelling terms in either order.
  const relDiff = (got: Float32Array, want: Float32Array) => {
    let scale = 0;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    return Number.isNaN(diff) ? Infinity : diff / Math.max(scale, 1e-12);
  };
  const gpu = await run('webgpu');
  const again = await run('webgpu');
  const cpu = await run('cpu');
  const nudged = await run('cpu', 1e-5);
  const byName: [string, number, number][] = [...cpu.grads].map(([name, want]) => [
    name,
    relDiff(gpu.grads.get(name)!, want),
    relDiff(nudged.grads.get(name)!, want),
  ]);
  byName.sort((a, b) => b[1] - a[1]);
  let repeat = Math.abs(gpu.value - again.value) / Math.abs(gpu.value);
  for (const [name, g] of gpu.grads) repeat = Math.max(repeat, relDiff(again.grads.get(name)!, g));
  const [worstName, worstGrad] = byName[0] ?? ['', 0];
  const loss = Math.abs(gpu.value - cpu.value) / Math.abs(cpu.value);
  return {
    loss,
    worstGrad,
    worstName,
    worst: byName.slice(0, 5),
    repeat,
    passed: loss < 1e-4 && byName.every(([, diff, moved]) => diff < 1e-3 || diff < 10 * moved),
  };
}

/** Median seconds per step, after warm-up steps that also let the tuner time its candidates. */
async function timeSteps(step: () => Promise<void>, n: number, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await step();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]! / 1000;
}

interface ProfileGroup {
  op: string;
  dispatches: number;
  ms: number;
  /** Floating-point operations of its convolution and matmul dispatches (labelFlops). */
  flops: number;
}

/** One more step recorded, then every dispatch of it replayed and timed alone (see Profiler), grouped by op. */
async function profileStep(
  step: () => Promise<void>,
): Promise<{ groups: ProfileGroup[]; shapes: ProfileGroup[]; stepMs: number; kernelMs: number }> {
  const ctx = gpuContext()!;
  const profiler = new Profiler();
  await ctx.sync();
  ctx.profiler = profiler;
  const t0 = performance.now();
  try {
    await step();
  } finally {
    ctx.profiler = null;
  }
  const stepMs = performance.now() - t0;
  const byOp = new Map<string, ProfileGroup>();
  const byShape = new Map<string, ProfileGroup>();
  let kernelMs = 0;
  for (const r of await ctx.replayProfile(profiler)) {
    const flops = labelFlops(r.label) ?? 0;
    const s = byShape.get(r.label) ?? { op: r.label, dispatches: 0, ms: 0, flops: 0 };
    s.dispatches++;
    s.ms += r.ms;
    s.flops += flops;
    byShape.set(r.label, s);
    const op = r.label === r.kernel ? r.kernel : r.label.split(' [')[0]!;
    const g = byOp.get(op) ?? { op, dispatches: 0, ms: 0, flops: 0 };
    g.dispatches++;
    g.ms += r.ms;
    g.flops += flops;
    kernelMs += r.ms;
    byOp.set(op, g);
  }
  return {
    groups: [...byOp.values()].sort((a, b) => b.ms - a.ms),
    shapes: [...byShape.values()].sort((a, b) => b.ms - a.ms),
    stepMs,
    kernelMs,
  };
}

/**
 * Each convolution and matmul group's rate (its time includes its own
 * weight-layout passes) and its share of the adapter's peak, where known.
 */
function printEfficiency(groups: ProfileGroup[], peak: { gflops: number; how: string } | null): void {
  const counted = groups.filter((g) => g.flops > 0);
  if (counted.length === 0) return;
  console.log(
    `\nkernel efficiency (GFLOP/s counting a convolution's direct products, Winograd's included; ${peak ? `peak ${peak.gflops.toFixed(0)} GFLOP/s = ${peak.how}` : 'no peak known for this adapter'}):`,
  );
  for (const g of counted) {
    const rate = g.flops / (g.ms * 1e6);
    const share = peak ? `${((100 * rate) / peak.gflops).toFixed(1)}% of peak` : '';
    console.log(`${g.op.padEnd(30)} ${rate.toFixed(1).padStart(10)} ${share.padStart(16)}`);
  }
}

let profile: Awaited<ReturnType<typeof profileStep>> | null = null;

async function pneumoRun(c: Config, profiled: boolean): Promise<number> {
  const model = makeModel();
  const { x, y } = randomBatch(c.batch);
  let opt: Optimizer | null = null;
  let step: () => Promise<void>;
  if (c.mode === 'train') {
    opt =
      c.optimizer === 'sgd'
        ? new SGD(model.parameters(), { lr: 1e-3, momentum: 0.9 })
        : new Adam(model.parameters(), { lr: 1e-4 });
    const o = opt;
    step = async () => {
      o.zeroGrad();
      const loss = tidy(() => crossEntropy(model.forward(x), y));
      loss.backward();
      o.step();
      await loss.item();
      loss.dispose();
    };
  } else {
    model.eval();
    step = async () => {
      const out = noGrad(() => tidy(() => model.forward(x)));
      await out.data();
      out.dispose();
    };
  }
  // Warm-up: the first step queues tuning jobs, the second's readback runs
  // them; after a change of batch size the next 4-6 steps were also measured
  // 20-40% slower than the rest (likely new buffer sizes entering the pool),
  // which a real training run does not see again.
  const s = await timeSteps(step, steps, 8);
  if (profiled && args.flag('profile') && c.mode === 'train' && c.optimizer === 'sgd' && c.batch === 32)
    profile = await profileStep(step);
  opt?.zeroGrad();
  opt?.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
  return c.batch / s;
}

async function tfjsRun(tf: TfHandle, c: Config): Promise<number> {
  const net = tfjsBlogCnn(tf.tf, c.mode === 'train' ? c.optimizer! : null);
  const x = tf.tf.randomNormal([c.batch, 32, 32, 3]);
  const y = tf.tf.oneHot(
    tf.tf.tensor1d(
      Array.from({ length: c.batch }, (_, i) => i % 3),
      'int32',
    ),
    10,
  );
  const step = c.mode === 'train' ? () => net.trainStep(x, y) : () => net.infer(x);
  // TF.js is slow here: one warm-up, then a couple of steps.
  const s = await timeSteps(
    async () => {
      await step();
      await tf.sync();
    },
    tfjsSteps,
    1,
  );
  net.dispose();
  x.dispose();
  y.dispose();
  return c.batch / s;
}

interface Row {
  config: string;
  pneumoImgS: number;
  tfjsImgS: number | null;
  ratio: number | null;
  torchImgS: number | null;
  /** pneumo / PyTorch: the median of the rounds' ratios. */
  torchRatio: number | null;
  rounds: { pneumo: number[]; torch: number[] };
}

/** A BLAS a user comparing with PyTorch would have (pip's wheels ship MKL; Debian's torch loads OpenBLAS once installed). */
const OPTIMIZED_BLAS = /openblas|mkl|blis|cublas|accelerate/i;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const m = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
};

/**
 * PyTorch on the CPU (or PNEUMO_TORCH_DEVICE, e.g. cuda), same model and
 * batches (benchmarks/torch_train.py), when /usr/bin/python3 (or
 * PNEUMO_PYTHON) has torch (Debian: python3-torch); else why not.
 */
function torchRun(configs: Config[]): { imgPerS: number[]; version: string; threads: number; device: string } | string {
  const python = process.env.PNEUMO_PYTHON ?? '/usr/bin/python3';
  const script = fileURLToPath(new URL('../torch_train.py', import.meta.url));
  const r = spawnSync(python, [script, JSON.stringify(configs), String(Math.max(5, steps)), JSON.stringify(spec)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.error || r.status !== 0)
    return `PyTorch not measured: ${r.error?.message ?? r.stderr.trim().split('\n').pop()} (apt-get install -y python3-torch)`;
  const out = JSON.parse(r.stdout) as {
    imgPerS: number[];
    torch: string;
    threads: number;
    blas: string;
    device?: string;
  };
  return {
    imgPerS: out.imgPerS,
    version: `${out.torch} (BLAS: ${out.blas})`,
    threads: out.threads,
    device: out.device ?? 'the CPU',
  };
}

async function main(): Promise<void> {
  await init({ device: 'webgpu', adapter: args.adapter });
  const ctx = gpuContext()!;
  // TF.js runs the blog CNN only (benchmarks/tfjs-blog-cnn.ts).
  const tf = args.flag('no-tfjs') || architecture !== 'blog-cnn' ? null : await loadTfjs(args.adapter);
  let check: Awaited<ReturnType<typeof verify>> | null = null;
  if (args.flag('verify')) {
    check = await verify(4);
    console.log(
      `verify (batch 4, vs the cpu backend): loss rel. diff ${check.loss.toExponential(2)}, worst gradient ${check.worstName} ${check.worstGrad.toExponential(2)} (of its max); two GPU runs differ by ${check.repeat.toExponential(2)}`,
    );
    console.log(
      `  worst gradients (and how far the cpu backend's own moved when the input changed by 1e-5): ${check.worst
        .map(([n, d, moved]) => `${n} ${d.toExponential(2)} (${moved.toExponential(2)})`)
        .join(', ')}`,
    );
    if (!check.passed) {
      console.error('verify FAILED: the GPU result does not match the cpu backend');
      process.exitCode = 1;
    }
  }
  const counted = makeModel({ device: 'cpu' });
  console.log(
    `model: ${architecture} at ${size}x${size}${spec.resnet ? ` (widths ${spec.resnet.widths}, blocks ${spec.resnet.blocks})` : ''}, ${counted.parameterCount().toLocaleString('en')} parameters`,
  );
  counted.dispose();
  console.log(
    `kernel class: ${ctx.kernelClass}; ${steps} timed steps per configuration after warm-up${tf ? `; TF.js webgpu on the same adapter, ${tfjsSteps} steps` : ''}\n`,
  );
  // An empty run first: the version, threads and BLAS for the header (and whether PyTorch is there at all).
  const torch = args.flag('no-torch') ? 'PyTorch not measured (--no-torch)' : torchRun([]);
  console.log(
    typeof torch === 'string'
      ? torch
      : `PyTorch ${torch.version} on ${torch.device === 'the CPU' ? `the CPU (${torch.threads} threads)` : torch.device} in the same run${rounds > 1 ? `; ${rounds} rounds, each pneumo run followed by PyTorch's: medians, and the ratios' median (range)` : ''}`,
  );
  const referenceBlas =
    typeof torch !== 'string' &&
    torch.device === 'the CPU' &&
    (/reference BLAS/.test(torch.version) || !OPTIMIZED_BLAS.test(torch.version));
  if (referenceBlas) {
    console.log(
      'PyTorch runs on the reference BLAS, which no user would pick: its figures are shown without a ratio. ' +
        'For the baseline: apt-get install -y libopenblas0-openmp',
    );
  }
  const header = `${'configuration'.padEnd(26)} ${'pneumo img/s'.padStart(13)} ${'TF.js img/s'.padStart(12)} ${'x faster'.padStart(9)} ${'PyTorch img/s'.padStart(14)} ${'x PyTorch'.padStart(10)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  const rows: Row[] = [];
  for (const c of CONFIGS) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(await pneumoRun(c, r === 0));
      if (typeof torch !== 'string') {
        const t = torchRun([c]);
        if (typeof t === 'string') throw new Error(t);
        theirs.push(t.imgPerS[0]!);
      }
    }
    const pneumoImgS = median(ours);
    const tfjsImgS = tf ? await tfjsRun(tf, c) : null;
    const ratio = tfjsImgS === null ? null : pneumoImgS / tfjsImgS;
    const torchImgS = theirs.length ? median(theirs) : null;
    const ratios = ours.map((o, k) => o / theirs[k]!).filter(Number.isFinite);
    // A ratio against PyTorch on the reference BLAS would flatter pneumo 2-3x: its figure is shown, no ratio.
    const torchRatio = ratios.length && !referenceBlas ? median(ratios) : null;
    const spread = ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})` : '';
    rows.push({
      config: label(c),
      pneumoImgS,
      tfjsImgS,
      ratio,
      torchImgS,
      torchRatio,
      rounds: { pneumo: ours, torch: theirs },
    });
    console.log(
      `${label(c).padEnd(26)} ${pneumoImgS.toFixed(2).padStart(13)} ${(tfjsImgS?.toFixed(2) ?? '-').padStart(12)} ${(ratio?.toFixed(1) ?? '-').padStart(9)} ` +
        `${(torchImgS?.toFixed(1) ?? '-').padStart(14)} ${(torchRatio === null ? '-' : torchRatio.toFixed(2)).padStart(10)}${spread}`,
    );
  }
  if (profile) {
    const total = profile.groups.reduce((a, g) => a + g.ms, 0);
    console.log(
      `\nprofile of one SGD batch-32 step (${profile.stepMs.toFixed(0)} ms): its ${profile.groups.reduce((a, g) => a + g.dispatches, 0)} dispatches replayed one at a time, ` +
        `${profile.kernelMs.toFixed(0)} ms in kernels, ${Math.max(0, profile.stepMs - profile.kernelMs).toFixed(0)} ms elsewhere`,
    );
    console.log(`${'op'.padEnd(30)} ${'dispatches'.padStart(10)} ${'ms'.padStart(9)} ${'share'.padStart(7)}`);
    for (const g of profile.groups) {
      console.log(
        `${g.op.padEnd(30)} ${String(g.dispatches).padStart(10)} ${g.ms.toFixed(1).padStart(9)} ${`${((100 * g.ms) / total).toFixed(1)}%`.padStart(7)}`,
      );
    }
    printEfficiency(profile.groups, adapterPeak(ctx.adapter));
    console.log('\nthe 12 costliest dispatch shapes:');
    for (const g of profile.shapes.slice(0, 12))
      console.log(
        `${g.op.slice(0, 90).padEnd(90)} ${String(g.dispatches).padStart(4)} ${g.ms.toFixed(1).padStart(8)} ms`,
      );
  }
  const peakMb = process.resourceUsage().maxRSS / 1024;
  const mem = memory();
  console.log(`\npeak resident memory ${peakMb.toFixed(0)} MB; live tensors at the end ${mem.tensors}`);
  writeResults(`train-${architecture === 'resnet' ? `resnet${size}-` : ''}${args.adapter}-${ctx.kernelClass}`, {
    adapter: ctx.adapter,
    kernelClass: ctx.kernelClass,
    model: spec,
    steps,
    verify: check,
    rows,
    profile,
    peakMb,
  });
}

await main();
