/** What the benchmarks share: flags, the blog CNN's conv layers, result files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Conv2dShape } from '@pneumo/kernels';

export type AdapterChoice = 'llvmpipe' | 'swiftshader' | 'native';
const ADAPTERS: readonly AdapterChoice[] = ['llvmpipe', 'swiftshader', 'native'];
const CLASSES = ['llvmpipe', 'swiftshader', 'gpu'];

export interface BenchArgs {
  adapter: AdapterChoice;
  /** Value of a flag (`--name value`), if given. */
  value(name: string): string | undefined;
  flag(name: string): boolean;
}

/** A benchmark's own options: name (without --) -> its value's placeholder (omitted for a flag) and help. */
export type BenchOptions = Record<string, { value?: string; help: string }>;

/** What every benchmark takes. */
const COMMON_OPTIONS: BenchOptions = {
  adapter: { value: ADAPTERS.join('|'), help: 'the WebGPU adapter (default $PNEUMO_ADAPTER, else llvmpipe)' },
  'kernel-class': { value: CLASSES.join('|'), help: "which kernel shapes to use (default the adapter's own)" },
};

/**
 * Parses a benchmark's arguments: `--help` prints `usage` and every option
 * and exits; an option not in `options` (or the common ones) is refused, so
 * a typo never runs the whole benchmark with defaults. `--adapter
 * llvmpipe|swiftshader|native` (default $PNEUMO_ADAPTER, else llvmpipe) and
 * `--kernel-class llvmpipe|swiftshader|gpu` (default the adapter's own) are
 * passed on through the environment, so pneumo's device, TF.js's and any
 * child process agree.
 */
export function parseBenchArgs(argv: readonly string[], usage: string, options: BenchOptions): BenchArgs {
  const all = { ...COMMON_OPTIONS, ...options };
  if (argv.includes('--help') || argv.includes('-h')) {
    const rows = Object.entries(all).map(
      ([name, o]) => [`  --${name}${o.value ? ` ${o.value}` : ''}`, o.help] as const,
    );
    const width = Math.max(...rows.map(([a]) => a.length)) + 2;
    console.log(`usage: ${usage}\n\n${rows.map(([a, b]) => a.padEnd(width) + b).join('\n')}\n  --help, -h`);
    process.exit(0);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2) : null;
    const spec = name === null ? undefined : all[name];
    if (!spec) {
      console.error(
        `${usage.split(' ')[0]}: ${name === null ? `unexpected argument '${a}'` : `unknown option '${a}'`} (--help lists the options)`,
      );
      process.exit(2);
    }
    if (spec.value) i++;
  }
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const adapter = (value('adapter') ?? process.env.PNEUMO_ADAPTER ?? 'llvmpipe') as AdapterChoice;
  if (!ADAPTERS.includes(adapter)) throw new Error(`--adapter must be one of ${ADAPTERS.join(', ')}, not '${adapter}'`);
  process.env.PNEUMO_ADAPTER = adapter;
  const cls = value('kernel-class');
  if (cls !== undefined) {
    if (!CLASSES.includes(cls)) throw new Error(`--kernel-class must be one of ${CLASSES.join(', ')}, not '${cls}'`);
    process.env.PNEUMO_KERNEL_CLASS = cls;
  }
  return { adapter, value, flag: (name) => argv.includes(`--${name}`) };
}

/** The blog CNN's convolutions: [in channels, out channels, input size]. */
export const BLOG_CONV_LAYERS: readonly (readonly [number, number, number])[] = [
  [3, 32, 32],
  [32, 64, 32],
  [64, 128, 16],
  [128, 128, 16],
  [128, 256, 8],
  [256, 256, 8],
];

/** The stride-1 3x3 layers of the app's ResNet (RESNET_DEFAULTS at 64x64): [in, out, size]. */
export const RESNET_CONV_LAYERS: readonly (readonly [number, number, number])[] = [
  [16, 16, 64],
  [32, 32, 32],
  [64, 64, 16],
  [128, 128, 8],
];

export function blogConvShape([ci, co, hw]: readonly [number, number, number], batch: number): Conv2dShape {
  return { n: batch, ci, co, h: hw, w: hw, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 };
}

/** A variant as a short label: `rows r8 tco8`, `tiled bm64 bn64 bk16 tm4 tn4`. */
export const variantName = (v: object) =>
  Object.entries(v)
    .map(([k, x]) => (k === 'kind' ? String(x) : `${k}${String(x)}`))
    .join(' ');

/** Writes a result object to benchmarks/results/<name>.json and says where. */
export function writeResults(name: string, data: object): void {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', `${name}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), ...data }, null, 1));
  console.log(`\nwritten to ${out}`);
}
