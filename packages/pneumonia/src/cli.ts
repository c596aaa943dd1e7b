#!/usr/bin/env node
/**
 * The pneumo command line: train, evaluate, predict, and make a synthetic
 * dataset. `pneumo help` lists the options.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { init } from '@pneumo/nn/node';
import { writeSyntheticDataset } from './data/synthetic.js';
import { evaluate, predict } from './evaluate.js';
import { explainToFile } from './explain.js';
import { formatMetrics, type Metrics } from './metrics.js';
import { writeReport } from './report/report.js';
import { readCheckpointInfo } from './checkpoint.js';
import { train } from './train.js';
import type { SplitName } from './data/layout.js';

export const DEFAULT_DATA = 'data/synthetic';

const HELP = `pneumo: pneumonia in chest X-rays with the blog CNN on WebGPU

  pneumo train [--data DIR] [--epochs N] [--batch-size 32] [--optimizer adam|sgd] [--lr X]
               [--weight-decay X] [--seed N] [--out DIR] [--resume] [--binary] [--outputs 10]
               [--val-fraction 0.15] [--patience 5] [--fit stretch|pad|crop] [--no-augment]
               [--no-class-weights] [--max-batches N]
      Trains, validates every epoch on a patient-level split, writes best and last
      checkpoints to --out (default runs/latest), then evaluates the best on the test split.
      Without --data: a synthetic dataset in ${DEFAULT_DATA} (generated on first use).
  pneumo evaluate --weights FILE [--data DIR] [--split test|val|train] [--json]
  pneumo predict --weights FILE IMAGE... [--json]
  pneumo explain --weights FILE IMAGE --out heat.png [--class NAME]
      Grad-CAM on the last conv layer, overlaid on the X-ray.
  pneumo synth [--out DIR] [--per-class N] [--seed N]
      Writes a synthetic dataset in the Kaggle layout.

Environment: PNEUMO_DEVICE=webgpu|cpu, PNEUMO_ADAPTER=llvmpipe|swiftshader|native (see README).`;

interface Args {
  _: string[];
  [k: string]: string | boolean | string[];
}

function parse(argv: string[]): Args {
  const args: Args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (inline !== undefined) args[key] = inline;
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--') && !['resume', 'binary', 'json', 'no-augment', 'no-class-weights'].includes(key)) args[key] = argv[++i]!;
      else args[key] = true;
    } else args._.push(a);
  }
  return args;
}

function num(args: Args, key: string, dflt?: number): number | undefined {
  const v = args[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new Error(`--${key} needs a number, got ${JSON.stringify(v)}`);
  return n;
}

function str(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`--${key} needs a value`);
  return v;
}

function ensureDefaultData(dir: string): void {
  if (existsSync(dir)) return;
  console.log(`generating the synthetic dataset in ${dir} ...`);
  const n = writeSyntheticDataset(dir, { seed: 7 });
  console.log(`wrote ${n} images`);
}

function progressBar(tty: boolean) {
  let lastLine = 0;
  return (p: { epoch: number; epochs: number; batch: number; batches: number; loss: number; accuracy: number; imagesPerSecond: number; etaSeconds: number }) => {
    const text = `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(Math.round((20 * p.batch) / p.batches)).padEnd(20)}] ${p.batch}/${p.batches}  loss ${p.loss.toFixed(4)}  acc ${(100 * p.accuracy).toFixed(1)}%  ${p.imagesPerSecond.toFixed(1)} img/s  ETA ${Math.ceil(p.etaSeconds)} s`;
    if (tty) {
      process.stdout.write(`\r${text}${p.batch === p.batches ? '\n' : ''}`);
    } else if (p.batch === p.batches || Date.now() - lastLine > 15000) {
      lastLine = Date.now();
      console.log(text);
    }
  };
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  const cmd = args._[0];
  if (!cmd || cmd === 'help' || args.help) {
    console.log(HELP);
    return cmd ? 0 : 1;
  }
  if (cmd === 'synth') {
    const out = str(args, 'out') ?? DEFAULT_DATA;
    const per = num(args, 'per-class', 120)!;
    const n = writeSyntheticDataset(out, { seed: num(args, 'seed', 7), perClass: { train: per, val: Math.ceil(per / 6), test: Math.ceil(per / 3) } });
    console.log(`wrote ${n} images to ${out}`);
    return 0;
  }
  await init();
  if (cmd === 'train') {
    const data = str(args, 'data') ?? DEFAULT_DATA;
    if (!args.data) ensureDefaultData(data);
    const out = str(args, 'out') ?? 'runs/latest';
    const tty = Boolean(process.stdout.isTTY);
    const result = await train(
      {
        data,
        out,
        epochs: num(args, 'epochs'),
        batchSize: num(args, 'batch-size'),
        optimizer: (str(args, 'optimizer') as 'adam' | 'sgd' | undefined) ?? 'adam',
        lr: num(args, 'lr'),
        weightDecay: num(args, 'weight-decay'),
        seed: num(args, 'seed'),
        resume: Boolean(args.resume),
        mode: args.binary ? 'binary' : 'three-class',
        outputs: num(args, 'outputs'),
        valFraction: num(args, 'val-fraction'),
        patience: num(args, 'patience'),
        fit: str(args, 'fit') as 'stretch' | 'pad' | 'crop' | undefined,
        augment: args['no-augment'] ? null : undefined,
        classWeights: !args['no-class-weights'],
        maxBatches: num(args, 'max-batches'),
      },
      { log: (l) => console.log(l), progress: progressBar(tty) },
    );
    console.log(`best: epoch ${result.best.epoch} (validation macro-F1 ${(100 * result.best.score).toFixed(1)}%) -> ${result.best.path}`);
    if (result.skipped.length) console.log(`skipped ${result.skipped.length} files (see the warnings above)`);
    let shown: Metrics | null = null;
    let title = 'validation';
    try {
      const ev = await evaluate(result.best.path, data, 'test');
      console.log(`\ntest split (${resolve(data)}):\n${formatMetrics(ev.metrics)}`);
      shown = ev.metrics;
      title = 'test';
    } catch (e) {
      console.log(`no test evaluation: ${(e as Error).message.split('\n')[0]}`);
      shown = readCheckpointInfo(result.best.path).metrics.validation as Metrics | null;
    }
    const files = writeReport(out, result.history, shown, `pneumo training report (${title} metrics of the best epoch, ${result.best.epoch})`);
    console.log(`report: ${files.join(', ')}`);
    return 0;
  }
  if (cmd === 'evaluate') {
    const weights = str(args, 'weights');
    if (!weights) throw new Error('evaluate needs --weights FILE');
    const ev = await evaluate(weights, str(args, 'data') ?? DEFAULT_DATA, (str(args, 'split') ?? 'test') as SplitName);
    for (const s of ev.skipped) console.error(`warning: skipped ${s.path}: ${s.reason}`);
    console.log(args.json ? JSON.stringify(ev.metrics, null, 1) : formatMetrics(ev.metrics));
    return 0;
  }
  if (cmd === 'predict') {
    const weights = str(args, 'weights');
    const images = args._.slice(1);
    if (!weights || images.length === 0) throw new Error('predict needs --weights FILE and at least one image');
    const preds = await predict(weights, images);
    if (args.json) console.log(JSON.stringify(preds, null, 1));
    else {
      for (const p of preds) {
        if (p.error) console.log(`${p.path}: cannot read: ${p.error}`);
        else console.log(`${p.path}: ${p.class}  (${Object.entries(p.probabilities).map(([c, v]) => `${c} ${(100 * v).toFixed(1)}%`).join(', ')})`);
      }
    }
    return preds.some((p) => p.error) ? 1 : 0;
  }
  if (cmd === 'explain') {
    const weights = str(args, 'weights');
    const image = args._[1];
    const out = str(args, 'out');
    if (!weights || !image || !out) throw new Error('explain needs --weights FILE, an IMAGE and --out FILE.png');
    const e = await explainToFile(weights, image, out, str(args, 'class'));
    console.log(`${image}: ${e.class}  (${Object.entries(e.probabilities).map(([c, v]) => `${c} ${(100 * v).toFixed(1)}%`).join(', ')}); Grad-CAM written to ${out}`);
    return 0;
  }
  console.error(`unknown command '${cmd}'\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`pneumo: ${e.message}`);
    process.exit(1);
  },
);
