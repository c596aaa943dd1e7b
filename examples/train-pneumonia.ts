/**
 * Trains the blog CNN to tell NORMAL from BACTERIAL and VIRAL pneumonia,
 * through the @pneumo/pneumonia API, then evaluates it on the test split.
 *
 *   node examples/dist/train-pneumonia.js [DATA_DIR]
 *
 * Without DATA_DIR it uses (and first generates) the synthetic dataset in
 * data/synthetic; with the Kaggle dataset, pass its directory.
 */
import { existsSync } from 'node:fs';
import { init } from '@pneumo/nn/node';
import { evaluate, formatMetrics, train, writeSyntheticDataset } from '@pneumo/pneumonia';

await init();
const data = process.argv[2] ?? 'data/synthetic';
if (!process.argv[2] && !existsSync(data)) writeSyntheticDataset(data);

const result = await train(
  { data, out: 'runs/example', epochs: 8, batchSize: 16, optimizer: 'adam', lr: 3e-4, seed: 1 },
  { log: (line) => console.log(line) },
);
console.log(`best checkpoint: ${result.best.path} (epoch ${result.best.epoch})`);

const { metrics } = await evaluate(result.best.path, data, 'test');
console.log(formatMetrics(metrics));
