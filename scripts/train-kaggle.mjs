#!/usr/bin/env node
// The shipped model's recipe, one seeded command (npm run train:kaggle):
// trains each member on the Kaggle training folder (one patient-level
// validation split for all, --split-seed), choosing its epoch on the dev set
// of other patients, then makes them one ensemble whose class-prior shift
// and operating point are chosen on that dev set, and prints its
// validation, dev and stress numbers. The dev set is never trained on.
//
//   npm run train:kaggle -- --data <chest_xray> --select-on <chest_xray_dev> [--out runs/kaggle] [--float16]
//
// About an hour on a 2-core machine without a GPU (three members of 8
// epochs at 30-35 img/s, each epoch also reading the validation and dev
// images).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The recipe: what every member shares, and each member's own seed and options. */
export const RECIPE = {
  common: ['--epochs', '8', '--patience', '8', '--batch-size', '32', '--split-seed', '1', '--contrast', 'none'],
  members: [
    { name: 'member1', args: ['--seed', '1', '--augment', 'default'] },
    { name: 'member2', args: ['--seed', '1', '--augment', 'acquisition'] },
    { name: 'member3', args: ['--seed', '2', '--augment', 'acquisition'] },
  ],
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages', 'pneumonia', 'dist', 'cli.js');

function usage(message) {
  console.error(
    `${message}\nusage: npm run train:kaggle -- --data <chest_xray> --select-on <chest_xray_dev> [--out runs/kaggle] [--float16]`,
  );
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      data: { type: 'string' },
      'select-on': { type: 'string' },
      out: { type: 'string', default: 'runs/kaggle' },
      float16: { type: 'boolean', default: false },
    },
    strict: true,
  }));
} catch (e) {
  usage(`train:kaggle: ${e.message.split('\n')[0]}`);
}
if (!values.data) usage('train:kaggle: --data (the Kaggle chest_xray folder) is required');
if (!values['select-on']) usage('train:kaggle: --select-on (the dev set of other patients) is required');
if (!existsSync(cli)) usage(`train:kaggle: ${cli} is missing: run npm ci (or npm run build) first`);

const pneumo = (args) => {
  console.log(`\n$ pneumo ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const out = values.out;
for (const m of RECIPE.members) {
  pneumo([
    'train',
    '--data',
    values.data,
    '--select-on',
    values['select-on'],
    '--out',
    join(out, m.name),
    '--force',
    ...RECIPE.common,
    ...m.args,
  ]);
}
const model = join(out, 'model');
pneumo([
  'ensemble',
  '--data',
  values.data,
  '--select-on',
  values['select-on'],
  '--out',
  model,
  ...(values.float16 ? [] : ['--int8']),
  ...RECIPE.members.map((m) => join(out, m.name, 'best')),
]);
pneumo(['evaluate', '--weights', model, '--data', values['select-on'], '--split', 'test', '--stress']);
console.log(`\nthe model: ${model}.{json,safetensors} (copy both to models/pneumo-blog-cnn.* to ship it)`);
