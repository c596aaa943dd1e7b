/**
 * The pneumo command line as a user meets it: a table of command lines
 * with the exit code and the message each must give. Usage errors exit 2
 * in one line, before any GPU work (these run in well under a second).
 * Runs the built CLI (npm ci builds it).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
};

const TABLE: [string, string[], number, RegExp][] = [
  ['no command', [], 2, /usage: pneumo COMMAND/],
  ['--help', ['--help'], 0, /usage: pneumo COMMAND/],
  ['-h', ['-h'], 0, /usage: pneumo COMMAND/],
  ['help train', ['help', 'train'], 0, /usage: pneumo train/],
  ['--version', ['--version'], 0, /^\d+\.\d+\.\d+\n$/],
  ['train --help', ['train', '--help'], 0, /--batch-size N +images per step \(default 32\)/],
  ['predict -h', ['predict', '-h'], 0, /usage: pneumo predict \[--weights FILE \| --model resnet\] IMAGE\.\.\./],
  ['bad architecture', ['train', '--arch', 'vgg'], 2, /--arch must be one of blog-cnn, resnet, got 'vgg'/],
  [
    'bad widths',
    ['train', '--arch', 'resnet', '--widths', '16,x'],
    2,
    /pneumo train: --widths: expected comma-separated positive integers, got '16,x'/,
  ],
  [
    'input size too small',
    ['train', '--arch', 'resnet', '--input-size', '8'],
    2,
    /--input-size must be a whole number from 16 to 256/,
  ],
  ['blog CNN at 64', ['train', '--input-size', '64'], 2, /pneumo train: the blog CNN takes 32x32 input/],
  ['widths for the blog CNN', ['train', '--widths', '8,16'], 2, /pneumo train: widths and blocks are ResNet options/],
  [
    'blocks for too few stages',
    ['train', '--arch', 'resnet', '--widths', '8,16', '--blocks', '1'],
    2,
    /blocks must give a count for each of the 2 stages/,
  ],
  [
    'weights and model',
    ['predict', '--weights', 'w', '--model', 'resnet', 'a.jpeg'],
    2,
    /give --weights or --model, not both/,
  ],
  ['bad model', ['predict', '--model', 'vgg', 'a.jpeg'], 2, /--model must be one of blog-cnn, resnet/],
  ['unknown command', ['frob'], 2, /unknown command 'frob'/],
  ['unknown option', ['train', '--frobnicate', '3'], 2, /^pneumo train: unknown option '--frobnicate'/],
  ['misspelt option', ['train', '--epoch', '1'], 2, /unknown option '--epoch'/],
  ['bad choice', ['train', '--optimizer', 'rmsprop'], 2, /--optimizer must be one of adam, sgd, got 'rmsprop'/],
  ['bad fit', ['train', '--fit', 'zoom'], 2, /--fit must be one of stretch, pad, crop/],
  ['negative fraction', ['train', '--val-fraction', '-0.5'], 2, /--val-fraction must be a number >= 0/],
  ['zero batches', ['train', '--max-batches', '0'], 2, /--max-batches must be a whole number from 1/],
  ['a flag with a value', ['train', '--resume=false'], 2, /'--resume' does not take an argument/],
  ['negative count', ['synth', '--per-class', '-5'], 2, /--per-class must be a whole number from 1/],
  ['batch 0', ['train', '--batch-size', '0'], 2, /--batch-size must be a whole number from 1 to 4096, got '0'/],
  ['epochs 0', ['train', '--epochs', '0'], 2, /--epochs must be a whole number/],
  ['batch 1e9', ['train', '--batch-size', '1e9'], 2, /--batch-size must be a whole number from 1 to 4096, got '1e9'/],
  ['not a number', ['train', '--lr', 'fast'], 2, /--lr must be a number > 0/],
  ['missing value', ['predict', '--weights'], 2, /'--weights <value>' argument missing/],
  ['no image', ['predict', '--weights', 'x'], 2, /needs at least one IMAGE argument, got 0/],
  [
    'two images to explain',
    ['explain', '--weights', 'w', '--out', 'o.png', 'a', 'b'],
    2,
    /needs exactly one IMAGE argument, got 2/,
  ],
  ['export without --weights', ['export', '--out', 'x'], 2, /--weights is required/],
  ['bad contrast', ['train', '--contrast', 'retinex'], 2, /--contrast must be one of none, equalize, clahe/],
  ['bad sampling', ['train', '--sampling', 'oversample'], 2, /--sampling must be one of shuffle, balanced/],
  ['bad fit', ['train', '--fit', 'zoom'], 2, /--fit must be one of stretch, pad, crop, chest/],
  ['label smoothing 1', ['train', '--label-smoothing', '1'], 2, /--label-smoothing must be a number >= 0 and < 1/],
  ['stray argument', ['synth', 'extra'], 2, /unexpected argument 'extra'/],
  [
    'bad augmentation',
    ['train', '--augment', 'wild'],
    2,
    /--augment must be one of none, light, default, strong, acquisition/,
  ],
  ['select-on without a value', ['train', '--select-on'], 2, /'--select-on <value>' argument missing/],
  ['negative split seed', ['train', '--split-seed', '-1'], 2, /--split-seed must be a whole number from 0/],
  ['negative stress seed', ['evaluate', '--stress-seed', '-2'], 2, /--stress-seed must be a whole number from 0/],
  ['stress takes no value', ['evaluate', '--stress=3'], 2, /'--stress' does not take an argument/],
  [
    'ensemble of one',
    ['ensemble', '--data', 'd', '--select-on', 'v', '--out', 'o', 'a'],
    2,
    /needs at least 2 CHECKPOINT arguments, got 1/,
  ],
  ['ensemble without a dev set', ['ensemble', '--data', 'd', '--out', 'o', 'a', 'b'], 2, /--select-on is required/],
  [
    'evaluate the shipped model on the synthetic default',
    ['evaluate'],
    2,
    /the shipped model was trained on real X-rays, and the default --data \(data\/synthetic\) is synthetic/,
  ],
  [
    'ensemble int8 and float32',
    ['ensemble', '--data', 'd', '--select-on', 'v', '--out', 'o', '--int8', '--float32', 'a', 'b'],
    2,
    /--int8 and --float32 exclude each other/,
  ],
];

describe('the pneumo CLI', () => {
  it.each(TABLE)('%s', (_, args, code, message) => {
    const r = run(args);
    expect(r.out).toMatch(message);
    expect(r.code).toBe(code);
    // Usage errors are one line.
    if (code === 2 && args.length > 0) expect(r.out.trim().split('\n')).toHaveLength(1);
  });

  it('refuses an unknown PNEUMO_ADAPTER instead of running on the cpu backend', () => {
    const image = fileURLToPath(new URL('../../../test/fixtures/images/grey-baseline.jpeg', import.meta.url));
    const r = run(['predict', '--weights', 'x.safetensors', image], { PNEUMO_ADAPTER: 'nonsense' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/unknown adapter 'nonsense' \(PNEUMO_ADAPTER\)/);
  });

  it('names each missing or unreadable image on stderr as a pneumo: line, exit 1, before starting an adapter', () => {
    const r = spawnSync(process.execPath, [cli, 'predict', 'missing.jpeg', '/', 'also-missing.png'], {
      encoding: 'utf8',
      env: { ...process.env, PNEUMO_QUIET: '0' },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'pneumo: missing.jpeg: no such file (or a dangling symbolic link)',
      'pneumo: /: a directory, not an image file',
      'pneumo: also-missing.png: no such file (or a dangling symbolic link)',
    ]);
    const e = run(['explain', '--out', 'o.png', 'missing.jpeg']);
    expect([e.code, e.out.trim()]).toEqual([1, 'pneumo: missing.jpeg: no such file (or a dangling symbolic link)']);
  });

  it('help lists each command with a whole first sentence', () => {
    const lines = run(['--help'])
      .out.split('\n')
      .filter((l) => /^ {2}[a-z]+ +[A-Z]/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const l of lines) expect(l, l).toMatch(/\.$/);
  });

  it('predicts with the shipped ResNet with --model resnet', () => {
    const image = fileURLToPath(new URL('../../../test/fixtures/images/grey-baseline.jpeg', import.meta.url));
    const r = run(['predict', '--model', 'resnet', '--json', image]);
    expect(r.code).toBe(0);
    const [p] = JSON.parse(r.stdout) as { probabilities: Record<string, number> }[];
    expect(Object.values(p!.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const blog = run(['predict', '--json', image]);
    const [q] = JSON.parse(blog.stdout) as { probabilities: Record<string, number> }[];
    // Another network: other probabilities.
    expect(p!.probabilities.NORMAL).not.toBeCloseTo(q!.probabilities.NORMAL!, 4);
  });

  it('predicts with the shipped model when --weights is absent (no warning: it was trained on real X-rays)', () => {
    const image = fileURLToPath(new URL('../../../test/fixtures/images/grey-baseline.jpeg', import.meta.url));
    const r = run(['predict', image]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /grey-baseline\.jpeg: (NORMAL|BACTERIA|VIRUS) {2}\(NORMAL [\d.]+%, BACTERIA [\d.]+%, VIRUS [\d.]+%\); pneumonia vs normal at the operating point: (PNEUMONIA|NORMAL)/,
    );
    expect(r.out).not.toMatch(/synthetic/);
  });
});
