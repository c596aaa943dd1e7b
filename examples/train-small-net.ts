/**
 * A small network trained with @pneumo/nn on generated data: points on two
 * interleaved spirals, classified by an MLP with Adam and a cosine schedule.
 *
 *   npm run example:nn
 */
import {
  Adam,
  CosineAnnealingLR,
  crossEntropy,
  Generator,
  init,
  Linear,
  manualSeed,
  noGrad,
  ReLU,
  Sequential,
  tensor,
  tidy,
} from '@pneumo/nn/node';

await init();
manualSeed(0);

// Two spirals, 256 points each.
const gen = new Generator(1);
const n = 256;
const xs = new Float32Array(2 * n * 2);
const ys = new Int32Array(2 * n);
for (let i = 0; i < 2 * n; i++) {
  const cls = i % 2;
  const t = (i / (2 * n)) * 3 * Math.PI + 0.5;
  const r = t / (3 * Math.PI);
  xs[2 * i] = r * Math.cos(t + cls * Math.PI) + 0.03 * gen.normal();
  xs[2 * i + 1] = r * Math.sin(t + cls * Math.PI) + 0.03 * gen.normal();
  ys[i] = cls;
}
const x = tensor(xs, { shape: [2 * n, 2] });
const y = tensor(ys);

const model = new Sequential(new Linear(2, 64), new ReLU(), new Linear(64, 64), new ReLU(), new Linear(64, 2));
const optimizer = new Adam(model.parameters(), { lr: 0.01 });
const steps = 300;
const schedule = new CosineAnnealingLR(optimizer, steps, 1e-4);

for (let step = 1; step <= steps; step++) {
  optimizer.zeroGrad();
  const loss = tidy(() => crossEntropy(model.forward(x), y));
  loss.backward();
  optimizer.step();
  schedule.step();
  if (step === 1 || step % 50 === 0) {
    const logits = noGrad(() => model.forward(x));
    const values = await logits.data();
    logits.dispose();
    let correct = 0;
    // The prediction is the larger of the two logits.
    for (let i = 0; i < 2 * n; i++) if ((values[2 * i + 1]! > values[2 * i]! ? 1 : 0) === ys[i]) correct++;
    console.log(
      `step ${String(step).padStart(3)}  loss ${(await loss.item()).toFixed(4)}  accuracy ${((100 * correct) / (2 * n)).toFixed(1)}%  lr ${optimizer.lr.toExponential(2)}`,
    );
  }
  loss.dispose();
}
