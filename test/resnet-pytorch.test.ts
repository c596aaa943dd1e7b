/**
 * The ResNet (`resnet()` of @pneumo/nn) against PyTorch
 * (test/fixtures/resnet.json, from scripts/make-resnet-fixtures.py): state-dict
 * keys and shapes, train-mode logits, loss and every gradient, every
 * parameter and running statistic after two SGD-momentum steps, eval-mode
 * logits, and PyTorch's weights loaded back. On the cpu backend and WebGPU,
 * with the blog CNN golden test's tolerances (1e-4 relative to each
 * tensor's largest value).
 */
import {
  BasicBlock,
  crossEntropy,
  noGrad,
  type ResNetConfig,
  resnet,
  SGD,
  tensor,
  tidy,
  type Module,
} from '@pneumo/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { formula } from './support/blog-cnn.js';
import { decode, type Encoded, load, readFixtures } from './support/fixtures.js';
import { backendsUnderTest, maxRelDiff, requireWebGpu } from './support/webgpu.js';

interface ResNetFixture {
  config: ResNetConfig;
  batch: number;
  labels: number[];
  sgd: { lr: number; momentum: number; weight_decay: number };
  param_count: number;
  state_dict: [string, number[]][];
  first: { logits: Encoded; loss: number; grads: Record<string, Encoded> };
  loss_second_step: number;
  after_two_steps: Record<string, Encoded>;
  eval_logits: Encoded;
}

const fx = readFixtures<ResNetFixture>('resnet.json');
const TOL = 1e-4;

/** The fixture script's set_weights, parameter by parameter in registration order. */
function setWeights(model: Module): void {
  const fcIn = model.stateDict().get('fc.weight')!.shape[1]!;
  noGrad(() => {
    [...model.namedParameters()].forEach(([name, p], i) => {
      const f = (scale: number) => formula(p.size, 0.1 * i, scale);
      let v: Float32Array;
      if (p.ndim > 1) v = f(1 / Math.sqrt(p.size / p.shape[0]!));
      else if (name.startsWith('fc.')) v = f(1 / Math.sqrt(fcIn));
      else if (name.endsWith('.weight')) v = f(1).map((u) => 1 + Math.fround(0.3) * u);
      else v = f(1).map((u) => Math.fround(0.1) * u);
      p.assign(tensor(v, { shape: p.shape, device: p.device }));
    });
  });
}

describe.each(backendsUnderTest())('the ResNet on %s matches PyTorch', (device) => {
  beforeAll(requireWebGpu);
  const { config, batch } = fx;
  const n = config.inputSize;
  const x = () => tensor(formula(batch * 3 * n * n, 0.5, 1), { shape: [batch, 3, n, n], device });
  const labels = () => tensor(Int32Array.from(fx.labels), { device });

  it('has PyTorch’s state-dict keys, shapes and parameter count', () => {
    const model = resnet(config, { device });
    expect([...model.stateDict()].map(([k, t]) => [k, [...t.shape]])).toEqual(fx.state_dict);
    expect(model.parameterCount()).toBe(fx.param_count);
    // The fixture covers both kinds of shortcut.
    expect(model.stages[0]!.layers.some((b) => b instanceof BasicBlock && b.downsample !== null)).toBe(false);
    expect(model.stateDict().has('layer2.0.downsample.0.weight')).toBe(true);
    model.dispose();
  });

  it('train mode: logits, loss, every gradient; two SGD steps: every parameter and running statistic; then eval logits', async () => {
    const model = resnet(config, { device });
    setWeights(model);
    model.train();
    const xs = x();
    const ys = labels();
    const opt = new SGD(model.parameters(), {
      lr: fx.sgd.lr,
      momentum: fx.sgd.momentum,
      weightDecay: fx.sgd.weight_decay,
    });

    const logits = tidy(() => model.forward(xs));
    const loss = crossEntropy(logits, ys);
    loss.backward();
    expect(maxRelDiff(await logits.data(), decode(fx.first.logits))).toBeLessThanOrEqual(TOL);
    expect(Math.abs((await loss.item()) - fx.first.loss) / fx.first.loss).toBeLessThanOrEqual(TOL);
    const gradErrors: Record<string, number> = {};
    for (const [name, p] of model.namedParameters())
      gradErrors[name] = maxRelDiff(await p.grad!.data(), decode(fx.first.grads[name]!));
    expect(Object.keys(gradErrors)).toEqual(Object.keys(fx.first.grads));
    for (const [name, err] of Object.entries(gradErrors)) expect(err, name).toBeLessThanOrEqual(TOL);
    opt.step();
    opt.zeroGrad();
    for (const t of [logits, loss]) t.dispose();

    const loss2 = tidy(() => crossEntropy(model.forward(xs), ys));
    loss2.backward();
    expect(Math.abs((await loss2.item()) - fx.loss_second_step) / fx.loss_second_step).toBeLessThanOrEqual(TOL);
    opt.step();
    opt.zeroGrad();
    loss2.dispose();

    const state = model.stateDict();
    let worst = 0;
    for (const [key, ref] of Object.entries(fx.after_two_steps)) {
      const got = await state.get(key)!.data();
      if (ref.i32 !== undefined) {
        expect([...got], key).toEqual([...decode(ref)]);
        continue;
      }
      const err = maxRelDiff(got, decode(ref));
      worst = Math.max(worst, err);
      expect(err, key).toBeLessThanOrEqual(TOL);
    }
    expect([...(await state.get('layer2.1.bn2.num_batches_tracked')!.data())]).toEqual([2]);

    model.eval();
    const evalLogits = noGrad(() => model.forward(xs));
    expect(maxRelDiff(await evalLogits.data(), decode(fx.eval_logits))).toBeLessThanOrEqual(TOL);
    console.log(
      `ResNet vs PyTorch (${device}): worst gradient ${Math.max(...Object.values(gradErrors)).toExponential(2)}, worst state after 2 steps ${worst.toExponential(2)}`,
    );
    for (const t of [xs, ys, evalLogits]) t.dispose();
    model.dispose();
  });

  it('loads PyTorch’s weights after the two steps (strict) and gives its eval logits', async () => {
    const model = resnet(config, { device });
    const dict = new Map(Object.entries(fx.after_two_steps).map(([k, e]) => [k, load(e, device)]));
    model.loadStateDict(dict, { strict: true });
    model.eval();
    const xs = x();
    const logits = noGrad(() => model.forward(xs));
    expect(maxRelDiff(await logits.data(), decode(fx.eval_logits))).toBeLessThanOrEqual(TOL);
    for (const t of [xs, logits, ...dict.values()]) t.dispose();
    model.dispose();
  });
});
