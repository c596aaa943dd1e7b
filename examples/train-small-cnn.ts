/**
 * Your own CNN with the library's DataLoader and fit(): 8x8 images of a
 * horizontal or a vertical bar, a seeded loader with augmentation noise,
 * Adam with a cosine schedule, validation in a callback, early stopping and
 * a JSONL metrics log.
 *
 *   npm run example:cnn
 */
import {
  Adam,
  argmax,
  Conv2d,
  CosineAnnealingLR,
  crossEntropy,
  DataLoader,
  type Batch,
  type Dataset,
  earlyStopping,
  fit,
  Flatten,
  Generator,
  init,
  Linear,
  manualSeed,
  MaxPool2d,
  metricsLog,
  noGrad,
  ReLU,
  Sequential,
  tensor,
} from '@pneumo/nn/node';

await init();
manualSeed(0);

/** n images; the batch adds fresh noise from the loader's generator (augmentation). */
function bars(n: number, seed: number): Dataset<Batch> {
  const g = new Generator(seed);
  const labels = Int32Array.from({ length: n }, () => g.int(2));
  const where = labels.map(() => g.int(8));
  return {
    length: n,
    batch(indices, rng) {
      const x = new Float32Array(indices.length * 64);
      indices.forEach((i, b) => {
        for (let p = 0; p < 64; p++) {
          const on = labels[i] === 0 ? Math.floor(p / 8) === where[i] : p % 8 === where[i];
          x[b * 64 + p] = (on ? 1 : 0) + 0.3 * rng.normal();
        }
      });
      return {
        input: tensor(x, { shape: [indices.length, 1, 8, 8] }),
        target: tensor(Int32Array.from(indices, (i) => labels[i]!)),
      };
    },
  };
}

const model = new Sequential(
  new Conv2d(1, 8, 3, { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2),
  new Flatten(),
  new Linear(128, 2),
);
const optimizer = new Adam(model.parameters(), { lr: 0.01 });
const train = new DataLoader(bars(512, 1), { batchSize: 32, generator: new Generator(2) });
const val = bars(128, 3).batch([...Array(128).keys()], new Generator(4));

const history = await fit({
  model,
  optimizer,
  data: train,
  epochs: 20,
  scheduler: new CosineAnnealingLR(optimizer, 20),
  loss: (output, batch) => crossEntropy(output, batch.target),
  callbacks: [
    {
      async onEpochEnd(s) {
        model.eval();
        const predicted = noGrad(() => argmax(model.forward(val.input), 1));
        const [p, t] = [await predicted.data(), await val.target.data()];
        predicted.dispose();
        s.metrics.valAccuracy = p.filter((v, i) => v === t[i]).length / t.length;
        console.log(
          `epoch ${s.epoch}  loss ${s.trainLoss.toFixed(4)}  validation accuracy ${(100 * s.metrics.valAccuracy).toFixed(1)}%`,
        );
      },
    },
    earlyStopping({ monitor: 'valAccuracy', patience: 3 }),
    metricsLog('runs/small-cnn/metrics.jsonl'),
  ],
});
console.log(`${history.length} epochs; log in runs/small-cnn/metrics.jsonl`);
