/**
 * The pneumo command line's grammar, one table: every command's options
 * with their types, ranges and help. Parsing is node:util's parseArgs in
 * strict mode (unknown options, missing values and values given to flags
 * are errors), then each value is checked against its rule, so a bad
 * command line fails in one line, before any GPU work.
 */
import { parseArgs } from 'node:util';
import { AUGMENTS, SAMPLINGS } from './data/batches.js';
import { CONTRASTS, FITS } from './data/image.js';

type Rule =
  | { kind: 'flag' }
  | { kind: 'string'; meta: string }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; min: number; max: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { kind: 'choice'; values: readonly string[] };

interface OptionSpec {
  rule: Rule;
  help: string;
  default?: string;
}

export interface CommandSpec {
  usage: string;
  summary: string;
  /** Positional arguments: their name and how many (min, max). */
  positionals?: { name: string; min: number; max: number };
  options: Record<string, OptionSpec>;
}

const flag = (help: string): OptionSpec => ({ rule: { kind: 'flag' }, help });
const str = (meta: string, help: string, dflt?: string): OptionSpec => ({
  rule: { kind: 'string', meta },
  help,
  default: dflt,
});
const int = (min: number, max: number, help: string, dflt?: string): OptionSpec => ({
  rule: { kind: 'int', min, max },
  help,
  default: dflt,
});
const choice = (values: readonly string[], help: string, dflt?: string): OptionSpec => ({
  rule: { kind: 'choice', values },
  help,
  default: dflt,
});

export const DEFAULT_DATA = 'data/synthetic';

export const COMMANDS: Record<string, CommandSpec> = {
  train: {
    usage: 'pneumo train [options]',
    summary:
      'Trains the blog CNN (or --arch resnet), validating every epoch on a patient-level split; writes best and last checkpoints to --out,\n' +
      `then evaluates the best on the test split. Without --data: a synthetic dataset in ${DEFAULT_DATA} (made on first use).`,
    options: {
      data: str('DIR', 'dataset root in the Kaggle layout', DEFAULT_DATA),
      out: str('DIR', 'where checkpoints and the report go', 'runs/latest'),
      epochs: int(1, 10_000, 'epochs to train', '10'),
      'batch-size': int(1, 4096, 'images per step', '32'),
      optimizer: choice(['adam', 'sgd'], 'optimizer', 'adam'),
      lr: {
        rule: { kind: 'number', min: 0, max: 10, minExclusive: true },
        help: 'learning rate (default 3e-4 for adam, 1e-3 for adam with the ResNet, 0.01 for sgd)',
      },
      'weight-decay': {
        rule: { kind: 'number', min: 0, max: 1 },
        help: 'weight decay (default 0 for adam, 5e-4 for sgd)',
      },
      seed: int(0, 2 ** 31 - 1, 'random seed', '1'),
      'split-seed': int(
        0,
        2 ** 31 - 1,
        'seed of the patient-level validation split (default: --seed; the members of an ensemble share one)',
      ),
      resume: flag('continue the run in --out from its last checkpoint'),
      force: flag('replace the checkpoints of an earlier run in --out'),
      binary: flag('two classes (normal, pneumonia) instead of three'),
      outputs: int(2, 1000, 'head outputs (default: the blog CNN 10; the ResNet one per class)'),
      arch: choice(
        ['blog-cnn', 'resnet'],
        'the network: the blog CNN (32x32 input) or a ResNet of basic blocks',
        'blog-cnn',
      ),
      'input-size': int(16, 256, 'input side for the ResNet, e.g. 64, 96 or 128 (default 64; the blog CNN takes 32)'),
      widths: str('W,W,...', 'ResNet stage widths (default 16,32,64,128)'),
      blocks: str('B,B,...', 'ResNet basic blocks per stage (default 2 per stage)'),
      'val-fraction': {
        rule: { kind: 'number', min: 0, max: 0.9 },
        help: 'fraction of training patients held out',
        default: '0.15',
      },
      patience: int(1, 10_000, 'epochs without a better validation macro-F1 before stopping', '5'),
      fit: choice(FITS, 'how the X-ray becomes square (chest: drop an 8% border, then stretch)', 'stretch'),
      contrast: choice(CONTRASTS, 'contrast normalization at full resolution, before the downsample', 'none'),
      augment: choice(
        Object.keys(AUGMENTS),
        'augmentation strength (acquisition: default geometry plus gamma, contrast and noise, what another machine changes)',
        'default',
      ),
      'select-on': str(
        'DIR',
        'choose the best epoch, the class-prior shift and the operating point on this dev set of other patients (its test/ split; never trained on)',
      ),
      'no-augment': flag('no augmentation (same as --augment none)'),
      ema: {
        rule: { kind: 'number', min: 0, max: 1, maxExclusive: true },
        help: 'validate and ship an exponential moving average of the weights with this decay (e.g. 0.998; default: none)',
      },
      'label-smoothing': {
        rule: { kind: 'number', min: 0, max: 1, maxExclusive: true },
        help: 'label smoothing epsilon',
        default: '0',
      },
      'target-sensitivity': {
        rule: { kind: 'number', min: 0, max: 1, minExclusive: true },
        help: 'sensitivity the pneumonia-vs-normal operating point is chosen for on validation',
        default: '0.95',
      },
      tta: flag('validate with test-time augmentation (7 views per image) and record it so predictions use it too'),
      sampling: choice(
        SAMPLINGS,
        'shuffle: every image once per epoch; balanced: draw the classes equally often (then no class weights)',
        'shuffle',
      ),
      'no-class-weights': flag('no inverse-frequency class weights'),
      'max-batches': int(1, 10_000_000, 'stop each epoch after this many batches (quick runs)'),
    },
  },
  evaluate: {
    usage: 'pneumo evaluate [--weights FILE | --model resnet] [options]',
    summary:
      'Accuracy, per-class precision / recall / F1, sensitivity and specificity (argmax and at the operating point), ROC AUC,\n' +
      'with 95% intervals, and calibration, on a split. Without --weights: the shipped model.',
    options: {
      weights: str('FILE', 'checkpoint (.safetensors, .json or its base name); default: the shipped model'),
      model: choice(['blog-cnn', 'resnet'], 'which shipped model when --weights is absent (default the blog CNN)'),
      report: str('DIR', 'also write report.html (with the reliability diagram) and confusion.png there'),
      data: str('DIR', 'dataset root', DEFAULT_DATA),
      split: choice(
        ['test', 'val', 'train', 'holdout'],
        "which split (holdout: the patients the checkpoint's training run validated on)",
        'test',
      ),
      tta: flag(
        "test-time augmentation: average the probabilities over 7 views of each image (shifts and zooms); default: as the checkpoint's training validated",
      ),
      dev: str('DIR', 'also evaluate on this dev set of other patients (its test/ split), side by side'),
      stress: flag(
        'also the stress report: the split under 16 acquisition changes (gamma, contrast, blur, sharpening, noise, JPEG, zoom, rotation)',
      ),
      'stress-seed': int(0, 2 ** 31 - 1, "seed of the stress report's random changes", '1'),
      json: flag('print the metrics as JSON (with --dev and --stress: under "dev" and "stress")'),
    },
  },
  predict: {
    usage: 'pneumo predict [--weights FILE | --model resnet] IMAGE...',
    summary:
      'The class and class probabilities of each X-ray, and pneumonia vs normal at the operating point. Without --weights: the shipped model.',
    positionals: { name: 'IMAGE', min: 1, max: Infinity },
    options: {
      weights: str('FILE', 'checkpoint; default: the shipped model'),
      model: choice(['blog-cnn', 'resnet'], 'which shipped model when --weights is absent (default the blog CNN)'),
      json: flag('print JSON'),
    },
  },
  explain: {
    usage: 'pneumo explain [--weights FILE | --model resnet] IMAGE --out heat.png [--class NAME]',
    summary:
      'Grad-CAM on the last convolution, overlaid on the X-ray, written as a PNG. Without --weights: the shipped model.',
    positionals: { name: 'IMAGE', min: 1, max: 1 },
    options: {
      weights: str('FILE', 'checkpoint; default: the shipped model'),
      model: choice(['blog-cnn', 'resnet'], 'which shipped model when --weights is absent (default the blog CNN)'),
      out: str('FILE', 'the PNG to write'),
      class: str('NAME', 'explain this class (default: the predicted one)'),
    },
  },
  export: {
    usage: 'pneumo export --weights FILE --out BASE [--float32]',
    summary:
      'Writes a checkpoint as a model to ship: BASE.safetensors (weights only, float16 unless --float32) and BASE.json.',
    options: {
      weights: str('FILE', 'checkpoint to export'),
      out: str('BASE', 'output base path (e.g. models/pneumo-blog-cnn)'),
      float32: flag('keep float32 weights'),
    },
  },
  ensemble: {
    usage: 'pneumo ensemble --data DIR --select-on DIR --out BASE [--int8 | --float32] CHECKPOINT CHECKPOINT...',
    summary:
      'Makes checkpoints of one recipe (seeds trained with one --split-seed) into one model to ship: their averaged probabilities,\n' +
      'the class-prior shift and operating point chosen on the dev set, validation and dev metrics recorded; float16 weights, or int8 when\n' +
      'the dev-set probabilities stay within 0.01 of float32.',
    positionals: { name: 'CHECKPOINT', min: 2, max: 16 },
    options: {
      data: str('DIR', 'the training data the members were trained on (for their validation patients)'),
      'select-on': str('DIR', 'the dev set of other patients (its test/ split)'),
      out: str('BASE', 'output base path (e.g. models/pneumo-blog-cnn)'),
      int8: flag('int8 weights with one scale per tensor (a quarter of float32)'),
      float32: flag('keep float32 weights'),
      'target-sensitivity': {
        rule: { kind: 'number', min: 0, max: 1, minExclusive: true },
        help: 'sensitivity the operating point is chosen for on the dev set',
        default: '0.95',
      },
    },
  },
  synth: {
    usage: 'pneumo synth [--out DIR] [--per-class N] [--seed N]',
    summary: 'Writes a synthetic X-ray dataset in the Kaggle layout.',
    options: {
      out: str('DIR', 'dataset root to write', DEFAULT_DATA),
      'per-class': int(1, 100_000, 'training images per class (val and test get fewer)', '120'),
      seed: int(0, 2 ** 31 - 1, 'random seed', '7'),
    },
  },
};

/** A usage error: printed in one line, exit code 2. */
export class UsageError extends Error {}

export type Values = Record<string, string | number | boolean | undefined>;

function check(command: string, name: string, spec: OptionSpec, raw: string): string | number {
  const r = spec.rule;
  const bad = (why: string) => new UsageError(`pneumo ${command}: --${name} ${why}, got '${raw}'`);
  if (r.kind === 'string') {
    if (raw === '') throw bad('needs a value');
    return raw;
  }
  if (r.kind === 'choice') {
    if (!r.values.includes(raw)) throw bad(`must be one of ${r.values.join(', ')}`);
    return raw;
  }
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (r.kind === 'int') {
    if (!Number.isInteger(n) || n < r.min || n > r.max) throw bad(`must be a whole number from ${r.min} to ${r.max}`);
    return n;
  }
  if (r.kind === 'number') {
    const low = r.minExclusive ? n <= r.min : n < r.min;
    const high = r.maxExclusive ? n >= r.max : n > r.max;
    if (!Number.isFinite(n) || low || high)
      throw bad(`must be a number ${r.minExclusive ? '>' : '>='} ${r.min} and ${r.maxExclusive ? '<' : '<='} ${r.max}`);
    return n;
  }
  return raw;
}

/** Parses one command's arguments (after the command name). */
export function parseCommand(
  command: string,
  argv: string[],
): { values: Values; positionals: string[]; help: boolean } {
  const spec = COMMANDS[command]!;
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(spec.options))
    options[name] = { type: o.rule.kind === 'flag' ? 'boolean' : 'string' };
  // parseArgs reads `--lr -0.5` as a missing value followed by an option;
  // a negative number after an option that takes a value is that value.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : '';
    if (options[name]?.type === 'string' && /^-\d|^-\.\d/.test(argv[i + 1] ?? '')) args.push(`--${name}=${argv[++i]!}`);
    else args.push(argv[i]!);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    // parseArgs says e.g. "Unknown option '--frobnicate'. To specify a positional argument starting with a '-', …"
    const first = (e as Error).message.split(/\.\s|\n/)[0]!;
    throw new UsageError(
      `pneumo ${command}: ${first.charAt(0).toLowerCase()}${first.slice(1)} (see pneumo ${command} --help)`,
    );
  }
  if (parsed.values.help) return { values: {}, positionals: [], help: true };
  const values: Values = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const raw = parsed.values[name];
    if (o.rule.kind === 'flag') values[name] = raw === true;
    else if (typeof raw === 'string') values[name] = check(command, name, o, raw);
    else if (o.default !== undefined) values[name] = check(command, name, o, o.default);
  }
  const positionals = parsed.positionals;
  const p = spec.positionals;
  if (!p && positionals.length > 0)
    throw new UsageError(`pneumo ${command}: unexpected argument '${positionals[0]}' (see pneumo ${command} --help)`);
  if (p && (positionals.length < p.min || positionals.length > p.max)) {
    const count =
      p.max === p.min
        ? p.min === 1
          ? 'exactly one'
          : `exactly ${p.min}`
        : p.min === 1
          ? 'at least one'
          : `at least ${p.min}`;
    throw new UsageError(
      `pneumo ${command}: needs ${count} ${p.name} argument${p.min > 1 ? 's' : ''}, got ${positionals.length} (see pneumo ${command} --help)`,
    );
  }
  return { values, positionals, help: false };
}

/** Help for one command, from its table. */
export function commandHelp(command: string): string {
  const spec = COMMANDS[command]!;
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const r = o.rule;
    const arg =
      r.kind === 'flag'
        ? ''
        : r.kind === 'choice'
          ? ` ${r.values.join('|')}`
          : r.kind === 'string'
            ? ` ${r.meta}`
            : ' N';
    return [`  --${name}${arg}`, `${o.help}${o.default !== undefined ? ` (default ${o.default})` : ''}`] as const;
  });
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return `usage: ${spec.usage}\n\n${spec.summary}\n\n${rows.map(([a, b]) => a.padEnd(width) + b).join('\n')}\n  -h, --help`.padEnd(
    0,
  );
}

/** A summary's first sentence, whole (summaries wrap over several lines). */
export function firstSentence(summary: string): string {
  const text = summary.replace(/\s*\n\s*/g, ' ').trim();
  const end = text.search(/\.(\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
}

export function globalHelp(version: string): string {
  const list = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(9)} ${firstSentence(c.summary)}`)
    .join('\n');
  return `pneumo ${version}: pneumonia in chest X-rays with the blog CNN on WebGPU

usage: pneumo COMMAND [options]     (pneumo COMMAND --help for its options)

${list}

  --version   print the version
  --help, -h  this text

Environment: PNEUMO_DEVICE=webgpu|cpu|auto, PNEUMO_ADAPTER=auto|native|llvmpipe|swiftshader,
PNEUMO_MAX_IMAGE_MB (default 64), PNEUMO_DEBUG=1, PNEUMO_QUIET=1 (see the README).`;
}
