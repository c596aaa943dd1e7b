#!/usr/bin/env node
/**
 * The pneumo command line: train, evaluate, predict, explain, export a
 * model to ship, and make a synthetic dataset. The grammar lives in cli-args.ts; `pneumo --help` and
 * `pneumo COMMAND --help` print it. Exit codes: 0 success, 1 failure, 2 a
 * usage error (reported before any GPU work).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runQuietly } from './dawn-quiet.js';
import { osPath } from './raw-args.js';
import { pathProblem } from './data/read-image.js';
import { COMMANDS, commandHelp, DEFAULT_DATA, globalHelp, parseCommand, UsageError, type Values } from './cli-args.js';
import { type BatchEnd, init } from '@pneumo/nn/node';
import { markSynthetic, SYNTHETIC_MARKER, writeSyntheticDataset } from './data/synthetic.js';
import { exportModel } from './export.js';
import { buildEnsemble } from './ensemble-build.js';
import { type ShippedModel, weightsOrShipped } from './shipped.js';
import { join } from 'node:path';
import { evaluate, predict } from './evaluate.js';
import { explainToFile } from './explain.js';
import { formatComparison, formatMetrics, type Metrics } from './metrics.js';
import { formatStress } from './stress.js';
import { writeReport } from './report/report.js';
import { readCheckpointInfo } from './checkpoint.js';
import { train } from './train.js';
import { type Architecture, type ArchitectureOptions, modelSpec } from './model.js';
import type { SplitName } from './data/layout.js';
import type { AugmentStrength, Sampling } from './data/batches.js';
import type { Contrast, Fit } from './data/image.js';

function ensureDefaultData(dir: string): void {
  if (existsSync(dir)) {
    // Made by an earlier version, before datasets carried the marker.
    if (!existsSync(join(dir, SYNTHETIC_MARKER))) markSynthetic(dir);
    return;
  }
  console.log(`generating the synthetic dataset in ${dir} ...`);
  const n = writeSyntheticDataset(dir, { seed: 7 });
  console.log(`wrote ${n} images`);
}

/**
 * A progress line for training: redrawn in place on a terminal (the line is
 * cleared first, so a shorter line leaves nothing behind), every 15 s
 * otherwise; the ETA covers the whole run, not just the epoch.
 */
function progressBar(tty: boolean) {
  let lastLine = 0;
  const started = Date.now();
  let done = 0;
  return (p: BatchEnd) => {
    done++;
    const left = (p.epochs - p.epoch) * p.batches + (p.batches - p.batch);
    const eta = ((Date.now() - started) / 1000 / done) * left;
    const etaText =
      eta >= 3600
        ? `${Math.floor(eta / 3600)} h ${Math.round((eta % 3600) / 60)} min`
        : eta >= 60
          ? `${Math.round(eta / 60)} min`
          : `${Math.ceil(eta)} s`;
    const text = `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(Math.round((20 * p.batch) / p.batches)).padEnd(20)}] ${p.batch}/${p.batches}  loss ${p.loss.toFixed(4)}  acc ${(100 * p.accuracy).toFixed(1)}%  ${p.imagesPerSecond.toFixed(1)} img/s  run ETA ${etaText}`;
    if (tty) {
      process.stdout.write(`\r\x1b[K${text}${p.batch === p.batches ? '\n' : ''}`);
    } else if (p.batch === p.batches || Date.now() - lastLine > 15000) {
      lastLine = Date.now();
      console.log(text);
    }
  };
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

const probabilities = (p: Record<string, number>) =>
  Object.entries(p)
    .map(([c, v]) => `${c} ${(100 * v).toFixed(1)}%`)
    .join(', ');

/** A comma-separated list of positive integers (--widths 16,32,64), or undefined when not given. */
function intList(value: unknown, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = String(value)
    .split(',')
    .map((p) => p.trim());
  if (parts.some((p) => !/^[1-9]\d{0,3}$/.test(p)))
    throw new UsageError(`pneumo train: --${name}: expected comma-separated positive integers, got '${String(value)}'`);
  return parts.map(Number);
}

/** The network `pneumo train` builds, checked before any GPU work or data (a usage error). */
function trainArchitecture(v: Values): ArchitectureOptions & { outputs?: number } {
  const arch = {
    architecture: v.arch as Architecture,
    inputSize: v['input-size'] as number | undefined,
    widths: intList(v.widths, 'widths'),
    blocks: intList(v.blocks, 'blocks'),
    outputs: v.outputs as number | undefined,
  };
  try {
    modelSpec(arch, v.binary ? 2 : 3);
  } catch (e) {
    throw new UsageError(`pneumo train: ${(e as Error).message}`);
  }
  return arch;
}

async function trainCommand(v: Values, arch: ArchitectureOptions & { outputs?: number }): Promise<number> {
  const data = v.data as string;
  if (data === DEFAULT_DATA) ensureDefaultData(data);
  const out = v.out as string;
  const result = await train(
    {
      data,
      out,
      epochs: v.epochs as number,
      batchSize: v['batch-size'] as number,
      optimizer: v.optimizer as 'adam' | 'sgd',
      lr: v.lr as number | undefined,
      weightDecay: v['weight-decay'] as number | undefined,
      seed: v.seed as number,
      splitSeed: v['split-seed'] as number | undefined,
      resume: v.resume as boolean,
      force: v.force as boolean,
      mode: v.binary ? 'binary' : 'three-class',
      ...arch,
      valFraction: v['val-fraction'] as number,
      patience: v.patience as number,
      fit: v.fit as Fit,
      contrast: v.contrast as Contrast,
      sampling: v.sampling as Sampling,
      tta: v.tta as boolean,
      augment: v['no-augment'] ? null : (v.augment as AugmentStrength),
      selectOn: v['select-on'] as string | undefined,
      labelSmoothing: v['label-smoothing'] as number,
      ema: v.ema as number | undefined,
      targetSensitivity: v['target-sensitivity'] as number,
      provenance: { command: `pneumo train ${process.argv.slice(3).join(' ')}`, version: version() },
      classWeights: !v['no-class-weights'],
      maxBatches: v['max-batches'] as number | undefined,
    },
    { log: (l) => console.log(l), progress: progressBar(Boolean(process.stdout.isTTY)) },
  );
  console.log(
    `best: epoch ${result.best.epoch} (${result.counts.dev > 0 ? 'dev-set' : 'validation'} macro-F1 ${(100 * result.best.score).toFixed(1)}%) -> ${result.best.path}`,
  );
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
  const files = writeReport(
    out,
    result.history,
    shown,
    `pneumo training report (${title} metrics of the best epoch, ${result.best.epoch})`,
    { warning: syntheticWarning(result.best.path) },
  );
  console.log(`report: ${files.join(', ')}`);
  return 0;
}

/** The warning for a checkpoint trained on synthetic images (they teach nothing about real X-rays), else undefined. */
function syntheticWarning(weights: string): string | undefined {
  let kind: string | undefined;
  try {
    kind = readCheckpointInfo(weights).trainedOn?.kind;
  } catch {
    return undefined; // the command itself reports an unreadable checkpoint
  }
  return kind === 'synthetic'
    ? `${weights} was trained on synthetic images; its predictions say nothing about real chest X-rays`
    : undefined;
}

/** Says so on stderr when a checkpoint was trained on synthetic images. */
function warnIfSynthetic(weights: string): void {
  const warning = syntheticWarning(weights);
  if (warning) console.error(`pneumo: warning: ${warning}`);
}

function required(command: string, v: Values, name: string): string {
  const x = v[name];
  if (typeof x !== 'string')
    throw new UsageError(`pneumo ${command}: --${name} is required (see pneumo ${command} --help)`);
  return x;
}

/** `pneumo synth`: a synthetic dataset in the Kaggle layout. */
function synthCommand(v: Values): number {
  const per = v['per-class'] as number;
  const n = writeSyntheticDataset(v.out as string, {
    seed: v.seed as number,
    perClass: { train: per, val: Math.ceil(per / 6), test: Math.ceil(per / 3) },
  });
  console.log(`wrote ${n} images to ${v.out as string}`);
  return 0;
}

/** `pneumo export`: a checkpoint as a model to ship. */
function exportCommand(v: Values, rest: string[]): number {
  const src = required('export', v, 'weights');
  const out = required('export', v, 'out');
  const e = exportModel(src, out, {
    float16: !v.float32,
    provenance: { exportCommand: `pneumo export ${rest.join(' ')}` },
  });
  console.log(
    `wrote ${e.weights} (${(e.bytes / 1e6).toFixed(1)} MB, ${v.float32 ? 'float32' : 'float16'}) and ${e.manifest}`,
  );
  return 0;
}

/** `pneumo ensemble`: checkpoints of one recipe into one shipped model; arguments checked before the GPU starts. */
async function ensembleCommand(v: Values, positionals: string[], rest: string[]): Promise<number> {
  const args = {
    data: required('ensemble', v, 'data'),
    selectOn: required('ensemble', v, 'select-on'),
    out: required('ensemble', v, 'out'),
  };
  if (v.int8 && v.float32) throw new UsageError('pneumo ensemble: --int8 and --float32 exclude each other');
  await init();
  const e = await buildEnsemble(
    {
      ...args,
      members: positionals,
      dtype: v.int8 ? 'I8' : v.float32 ? 'F32' : 'F16',
      targetSensitivity: v['target-sensitivity'] as number,
      provenance: { ensembleCommand: `pneumo ensemble ${rest.join(' ')}`, version: version() },
    },
    (l) => console.log(l),
  );
  console.log(
    `\nvalidation patients vs the dev set:\n${formatComparison([
      { title: 'validation', m: e.validation },
      { title: 'dev', m: e.dev },
    ])}`,
  );
  console.log(`wrote ${e.weights} (${(e.bytes / 1e6).toFixed(1)} MB) and ${e.manifest}`);
  return 0;
}

/** `pneumo evaluate`: metrics on a split (and the dev set, the stress suite), printed or as JSON, and the report. */
async function evaluateCommand(v: Values, weights: string): Promise<number> {
  const split = v.split as SplitName | 'holdout';
  const ev = await evaluate(weights, osPath(v.data as string), split, undefined, {
    tta: v.tta ? true : undefined,
    dev: v.dev as string | undefined,
    stress: v.stress
      ? {
          seed: v['stress-seed'] as number,
          onProgress: v.json ? undefined : (d, t, name) => process.stderr.write(`stress ${d + 1}/${t}: ${name}\n`),
        }
      : undefined,
  });
  for (const s of ev.skipped) console.error(`warning: skipped ${s.path}: ${s.reason}`);
  if (v.json) {
    const out = { ...ev.metrics, ...(ev.dev ? { dev: ev.dev } : {}), ...(ev.stress ? { stress: ev.stress } : {}) };
    console.log(JSON.stringify(out, null, 1));
  } else {
    const shift = ev.info.priorShift;
    if (shift)
      console.log(
        `predictions go through a class-prior shift (probabilities x ${shift.logOffsets.map((b, c) => `${ev.info.classes[c]} ${Math.exp(b).toPrecision(3)}`).join(', ')}; chosen on ${shift.chosenOn})`,
      );
    if (ev.info.members) console.log(`an ensemble of ${ev.info.members} networks (their probabilities averaged)`);
    console.log(formatMetrics(ev.metrics));
    if (ev.dev)
      console.log(
        `\n${split} split vs the dev set (${resolve(v.dev as string)}):\n${formatComparison([
          { title: split, m: ev.metrics },
          { title: 'dev', m: ev.dev },
        ])}`,
      );
    if (ev.stress) console.log(`\n${formatStress(ev.stress, Boolean(ev.info.operatingPoint))}`);
  }
  if (typeof v.report === 'string') {
    mkdirSync(v.report, { recursive: true });
    const title = `pneumo evaluation: ${weights} on the ${split} split of ${resolve(v.data as string)}`;
    const files = writeReport(v.report, [], ev.metrics, title, { warning: syntheticWarning(weights) });
    console.log(`report: ${files.join(', ')}`);
  }
  return 0;
}

/** `pneumo predict`: one line per image (or JSON); exit 1 when any could not be read. */
async function predictCommand(v: Values, weights: string, positionals: string[]): Promise<number> {
  // Reported under the names the user typed (osPath may reach a file through /proc/self/fd).
  const found = await predict(
    weights,
    positionals.map((p) => osPath(p)),
  );
  const preds = found.map((p, i) => ({ ...p, path: positionals[i]! }));
  if (v.json) console.log(JSON.stringify(preds, null, 1));
  else {
    for (const p of preds) {
      if (p.error) console.error(`pneumo: ${p.path}: cannot read: ${p.error}`);
      else {
        const op = p.pneumonia
          ? `; pneumonia vs normal at the operating point: ${p.pneumonia.positive ? 'PNEUMONIA' : 'NORMAL'} (score ${p.pneumonia.score.toFixed(3)}, threshold ${p.pneumonia.threshold.toFixed(3)})`
          : '';
        console.log(`${p.path}: ${p.class}  (${probabilities(p.probabilities)})${op}`);
      }
    }
  }
  return preds.some((p) => p.error) ? 1 : 0;
}

/** The commands that run a model: their arguments and files checked, then the GPU, then the command. */
async function modelCommand(cmd: string, v: Values, positionals: string[], rest: string[]): Promise<number> {
  if (v.weights !== undefined && v.model !== undefined)
    throw new UsageError(`pneumo ${cmd}: give --weights or --model, not both`);
  const weights =
    cmd === 'train' ? '' : weightsOrShipped(v.weights as string | undefined, cmd, v.model as ShippedModel | undefined);
  const explainOut = cmd === 'explain' ? required(cmd, v, 'out') : '';
  if (cmd === 'evaluate' && v.weights === undefined && !rest.some((a) => a === '--data' || a.startsWith('--data='))) {
    throw new UsageError(
      `pneumo evaluate: the shipped model was trained on real X-rays, and the default --data (${DEFAULT_DATA}) is synthetic: its score there says nothing. ` +
        'Give --data DIR (a dataset in the Kaggle layout), or --weights for a model trained on the synthetic data.',
    );
  }
  // Files named on the command line are checked before the GPU starts: a typo costs no adapter start-up.
  if (cmd === 'predict' || cmd === 'explain') {
    const problems = positionals.map((p) => [p, pathProblem(osPath(p))] as const).filter(([, why]) => why !== null);
    for (const [p, why] of problems) console.error(`pneumo: ${p}: ${why}`);
    if (problems.length) return 1;
  }
  if (cmd !== 'train') warnIfSynthetic(weights);
  const arch = cmd === 'train' ? trainArchitecture(v) : null;
  await init();
  if (arch) return trainCommand(v, arch);
  if (cmd === 'evaluate') return evaluateCommand(v, weights);
  if (cmd === 'predict') return predictCommand(v, weights, positionals);
  const image = positionals[0]!;
  const e = await explainToFile(weights, osPath(image), explainOut, v.class as string | undefined);
  console.log(`${image}: ${e.class}  (${probabilities(e.probabilities)}); Grad-CAM written to ${explainOut}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    const topic = cmd === 'help' ? rest[0] : undefined;
    if (topic && COMMANDS[topic]) console.log(commandHelp(topic));
    else console.log(globalHelp(version()));
    // No command at all is a usage error; asking for help is not.
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    console.log(version());
    return 0;
  }
  if (!COMMANDS[cmd])
    throw new UsageError(
      `pneumo: unknown command '${cmd}' (commands: ${Object.keys(COMMANDS).join(', ')}; see pneumo --help)`,
    );
  const { values: v, positionals, help } = parseCommand(cmd, rest);
  if (help) {
    console.log(commandHelp(cmd));
    return 0;
  }
  if (cmd === 'synth') return synthCommand(v);
  if (cmd === 'export') return exportCommand(v, rest);
  if (cmd === 'ensemble') return ensembleCommand(v, positionals, rest);
  return modelCommand(cmd, v, positionals, rest);
}

if (!runQuietly())
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      if (e instanceof UsageError) {
        console.error(e.message);
        process.exit(2);
      }
      console.error(`pneumo: ${e.message}`);
      process.exit(1);
    },
  );
