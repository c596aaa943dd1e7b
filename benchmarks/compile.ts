/**
 * Compile cost of the conv kernels the tuner can pick at the blog CNN's
 * shapes: for every distinct kernel of the kernel class's candidate set,
 * a fresh process creates the pipeline once and runs it, while this
 * process watches its resident memory (and kills it past a cap or a time
 * limit, as a runaway shader compile must not take the machine down).
 *
 *   npm run bench:compile -- --adapter swiftshader
 *   npm run bench:compile -- --adapter llvmpipe --kernel-class gpu
 *   npm run bench:compile -- --all            # every variant, not only the class's candidates
 *
 * Prints compile ms and peak RSS per kernel; JSON in benchmarks/results/.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type Conv2dShape,
  conv2dForward,
  conv2dInputGrad,
  conv2dWeightGrad,
  convForwardCandidates,
  convForwardVariants,
  convInputGradCandidates,
  convInputGradVariants,
  convOutSize,
  type ConvVariant,
  convWeightGradCandidates,
  type GpuContext,
  isStride1Variant,
  weightGradVariants,
} from '@pneumo/kernels';
import { createDevice } from '@pneumo/kernels/node';
import { BLOG_CONV_LAYERS, blogConvShape, parseBenchArgs, variantName, writeResults } from './common.js';

type Pass = 'forward' | 'dInput' | 'dWeight';

interface Job {
  pass: Pass;
  shape: Conv2dShape;
  variant: object;
}

/** Child: create the pipeline for one job, run it once, report. */
async function child(job: Job): Promise<void> {
  const ctx = await createDevice({ log: false, tune: false });
  const s = job.shape;
  const { oh, ow } = convOutSize(s);
  const x = ctx.alloc(4 * s.n * s.ci * s.h * s.w);
  const w = ctx.alloc(4 * s.co * s.ci * s.kh * s.kw);
  const y = ctx.alloc(4 * s.n * s.co * oh * ow);
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  run(ctx, job, x, w, y);
  const compileMs = performance.now() - t0;
  await ctx.sync();
  const firstRunMs = performance.now() - t0 - compileMs;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ compileMs, firstRunMs, peakMb, baseMb: before / 2 ** 20 }));
  process.exit(0);
}

function run(ctx: GpuContext, job: Job, x: GPUBuffer, w: GPUBuffer, y: GPUBuffer): void {
  const v = job.variant as never;
  if (job.pass === 'forward') conv2dForward(ctx, x, w, null, y, job.shape, v);
  else if (job.pass === 'dInput') conv2dInputGrad(ctx, y, w, x, job.shape, v);
  else conv2dWeightGrad(ctx, x, y, w, job.shape, 1, v);
}

interface Measured {
  compileMs: number | null;
  firstRunMs: number | null;
  peakMb: number;
  outcome: 'ok' | 'killed: memory' | 'killed: time' | 'failed';
}

/** Runs a job in a child process, polling its RSS; kills it past the caps. */
function measure(job: Job, capMb: number, limitS: number): Promise<Measured> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    let peak = 0;
    let outcome: Measured['outcome'] = 'ok';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const started = Date.now();
    const timer = setInterval(() => {
      try {
        const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
        peak = Math.max(peak, rss);
        if (rss > capMb) outcome = 'killed: memory';
      } catch {
        // exited between polls
      }
      if (Date.now() - started > limitS * 1000) outcome = 'killed: time';
      if (outcome !== 'ok') p.kill('SIGKILL');
    }, 100);
    p.on('exit', (code) => {
      clearInterval(timer);
      if (outcome === 'ok' && code === 0 && out) {
        const r = JSON.parse(out) as { compileMs: number; firstRunMs: number; peakMb: number };
        resolve({ compileMs: r.compileMs, firstRunMs: r.firstRunMs, peakMb: Math.max(peak, r.peakMb), outcome });
      } else {
        resolve({ compileMs: null, firstRunMs: null, peakMb: peak, outcome: outcome === 'ok' ? 'failed' : outcome });
      }
    });
  });
}

async function main(): Promise<void> {
  const args = parseBenchArgs(
    process.argv.slice(2),
    'bench:compile [options]  (each conv kernel compiled in a fresh process: ms and peak memory)',
    {
      all: { help: "every variant, not only the kernel class's candidates" },
    },
  );
  const all = args.flag('all');
  const capMb = Number(process.env.PNEUMO_BENCH_CAP_MB ?? 4000);
  const limitS = Number(process.env.PNEUMO_BENCH_LIMIT_S ?? 60);
  const ctx = await createDevice({ tune: false });
  console.log(
    `adapter: ${ctx.adapter.description || ctx.adapter.device} [${ctx.adapter.backend}]   kernel class: ${ctx.kernelClass}`,
  );
  console.log(`each kernel compiled in a fresh process, killed past ${capMb} MB or ${limitS} s\n`);
  // Distinct kernels only: the generated code depends on the variant and the
  // kernel size, not on the other dimensions.
  const jobs = new Map<string, Job>();
  for (const layer of BLOG_CONV_LAYERS) {
    const shape = blogConvShape(layer, 1);
    const sets: [Pass, object[]][] = [
      ['forward', all ? convForwardVariants(shape) : convForwardCandidates(ctx, shape)],
      ['dInput', all ? convInputGradVariants(shape) : convInputGradCandidates(ctx, shape)],
      ['dWeight', all ? weightGradVariants(shape) : convWeightGradCandidates(ctx, shape)],
    ];
    for (const [pass, variants] of sets) {
      for (const variant of variants) {
        // dInput runs the forward kernels on other strides: same code as forward.
        const kernelPass = pass === 'dInput' && isStride1Variant(variant as ConvVariant) ? 'forward' : pass;
        const key = `${kernelPass}|${JSON.stringify(variant)}`;
        if (!jobs.has(key)) jobs.set(key, { pass, shape, variant });
      }
    }
  }
  ctx.destroy();
  const rows: (Measured & { pass: Pass; variant: string })[] = [];
  const header = `${'pass'.padEnd(8)} ${'variant'.padEnd(36)} ${'compile ms'.padStart(10)} ${'peak MB'.padStart(8)}  outcome`;
  console.log(header);
  console.log('-'.repeat(header.length + 6));
  for (const job of jobs.values()) {
    const m = await measure(job, capMb, limitS);
    const variant = variantName(job.variant);
    rows.push({ pass: job.pass, variant, ...m });
    console.log(
      `${job.pass.padEnd(8)} ${variant.padEnd(36)} ${(m.compileMs?.toFixed(0) ?? '-').padStart(10)} ${m.peakMb.toFixed(0).padStart(8)}  ${m.outcome}`,
    );
  }
  writeResults(`compile-${args.adapter}-${process.env.PNEUMO_KERNEL_CLASS ?? 'auto'}`, { capMb, limitS, rows });
}

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]!) as Job);
else await main();
