/**
 * @pneumo/nn against PyTorch (scripts/make-nn-fixtures.py): the whole blog
 * CNN (logits, loss, every parameter gradient, one SGD-momentum step, three
 * Adam steps), BatchNorm2d, losses, optimizer and scheduler trajectories.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  BatchNorm2d,
  binaryCrossEntropyWithLogits,
  CosineAnnealingLR,
  crossEntropy,
  type DeviceName,
  mseLoss,
  MultiStepLR,
  nllLoss,
  OneCycleLR,
  type Optimizer,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  tensor,
  tidy,
  type Tensor,
} from '@pneumo/nn';
import { blogCnn } from '@pneumo/pneumonia';
import { formula, sampleIdx, setFormulaWeights } from './support/blog-cnn.js';
import { decode, type Encoded, load, readFixtures } from './support/fixtures.js';
import { backendsUnderTest, maxRelDiff, requireWebGpu } from './support/webgpu.js';

interface LayerCase {
  inputs: Record<string, Encoded>;
  upstream: Encoded;
  output: Encoded;
  grads: Record<string, Encoded>;
  labels?: number[];
  weight?: number[];
  running_mean?: number[];
  running_var?: number[];
}
interface Fixture {
  torch: string;
  cnn: {
    batch: number;
    labels: number[];
    logits: Encoded;
    loss: number;
    param_count: number;
    state_dict_keys: string[];
    grads: Record<string, { sum: number; norm: number; idx: number[]; values: number[] }>;
    params_init: Record<string, number[]>;
    params_after_sgd: Record<string, number[]>;
    params_after_adam3: Record<string, number[]>;
  };
  optimizers: Record<string, number[][]>;
  schedulers: Record<string, number[]>;
  onecycle_momentum: Record<string, number[][]>;
  batchnorm_train: LayerCase;
  batchnorm_eval: LayerCase;
  losses: Record<string, LayerCase>;
}

const fx = readFixtures<Fixture>('nn.json');
const report: string[] = [];
beforeAll(requireWebGpu);
afterAll(() => console.log(`@pneumo/nn vs PyTorch ${fx.torch}:\n${report.join('\n')}`));

/** One unit in the last place of a float32 near x. */
const ulp = (x: number) => (x === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 23));

/**
 * Error of a parameter update against PyTorch's, relative to the largest
 * update, ignoring one float32 ulp of the parameter: both sides round the
 * new parameter to float32, which alone can move a tiny update by an ulp.
 */
function updateErr(after: number[], ref: number[], init: number[]): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    const mine = after[i]! - init[i]!;
    const theirs = ref[i]! - init[i]!;
    d = Math.max(d, Math.max(0, Math.abs(mine - theirs) - ulp(ref[i]!)));
    m = Math.max(m, Math.abs(theirs));
  }
  return d / m;
}

/** Max |a - b| over max |b|: the error relative to the quantity's own scale. */
function scaledErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return m === 0 ? d : d / m;
}

describe.each(backendsUnderTest())('the blog CNN on %s', (device) => {
  const B = fx.cnn.batch;
  const x = () => tensor(formula(B * 3 * 32 * 32, 0.5, 1), { shape: [B, 3, 32, 32], device });
  const labels = () => tensor(Int32Array.from(fx.cnn.labels), { device });

  async function sampled(model: ReturnType<typeof blogCnn>) {
    const out: Record<string, number[]> = {};
    for (const [name, p] of model.namedParameters()) {
      const v = await p.data();
      out[name] = sampleIdx(p.size).map((i) => v[i]!);
    }
    return out;
  }

  it('has the blog parameter count and PyTorch state-dict keys', () => {
    const model = blogCnn({ device });
    expect(model.parameterCount()).toBe(5_851_338);
    expect(model.parameterCount()).toBe(fx.cnn.param_count);
    expect([...model.stateDict().keys()]).toEqual(fx.cnn.state_dict_keys);
    model.dispose();
  });

  it('logits, loss and every parameter gradient match PyTorch; then one SGD-momentum step', async () => {
    const model = blogCnn({ device });
    setFormulaWeights(model);
    const xs = x();
    const ys = labels();
    const logits = tidy(() => model.forward(xs));
    const loss = crossEntropy(logits, ys);
    loss.backward();
    const logitErr = maxRelDiff(await logits.data(), decode(fx.cnn.logits));
    const lossErr = Math.abs((await loss.item()) - fx.cnn.loss) / Math.abs(fx.cnn.loss);
    expect(logitErr).toBeLessThanOrEqual(1e-4);
    expect(lossErr).toBeLessThanOrEqual(1e-4);
    let gradErr = 0;
    for (const [name, p] of model.namedParameters()) {
      const ref = fx.cnn.grads[name]!;
      const g = await p.grad!.data();
      let sq = 0;
      for (const v of g) sq += v * v;
      const norm = Math.sqrt(sq);
      gradErr = Math.max(
        gradErr,
        Math.abs(norm - ref.norm) / ref.norm,
        scaledErr(
          ref.idx.map((i) => g[i]!),
          ref.values,
        ),
      );
    }
    expect(gradErr).toBeLessThanOrEqual(1e-4);
    const sgd = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
    sgd.step();
    const after = await sampled(model);
    let stepErr = 0;
    for (const [name, ref] of Object.entries(fx.cnn.params_after_sgd)) {
      const init = fx.cnn.params_init[name]!;
      stepErr = Math.max(stepErr, updateErr(after[name]!, ref, init));
    }
    expect(stepErr).toBeLessThanOrEqual(1e-4);
    report.push(
      `  blog CNN (${device}): logits ${logitErr.toExponential(2)}, loss ${lossErr.toExponential(2)}, gradients ${gradErr.toExponential(2)}, SGD step (vs update size) ${stepErr.toExponential(2)}`,
    );
    for (const t of [xs, ys, logits, loss]) t.dispose();
    sgd.dispose();
    model.dispose();
  });

  it('three Adam steps match PyTorch (error relative to the update)', async () => {
    const model = blogCnn({ device });
    setFormulaWeights(model);
    const xs = x();
    const ys = labels();
    const adam = new Adam(model.parameters(), { lr: 1e-3 });
    for (let i = 0; i < 3; i++) {
      adam.zeroGrad();
      const loss = tidy(() => crossEntropy(model.forward(xs), ys));
      loss.backward();
      adam.step();
      loss.dispose();
    }
    const after = await sampled(model);
    let err = 0;
    for (const [name, ref] of Object.entries(fx.cnn.params_after_adam3)) {
      const init = fx.cnn.params_init[name]!;
      err = Math.max(err, updateErr(after[name]!, ref, init));
    }
    report.push(`  blog CNN (${device}): 3 Adam steps (vs update size) ${err.toExponential(2)}`);
    // Adam divides each element by its own gradient scale, so an element's
    // relative gradient error (float32 summation order) reaches its update
    // undamped: 1e-3 of the update is the honest bound here, not 1e-4.
    expect(err).toBeLessThanOrEqual(1e-3);
    for (const t of [xs, ys]) t.dispose();
    adam.dispose();
    model.dispose();
  });
});

describe.each(backendsUnderTest())('optimizers on %s follow PyTorch step by step', (device: DeviceName) => {
  const make: Record<string, (ps: Tensor[]) => Optimizer> = {
    sgd: (ps) => new SGD(ps, { lr: 0.1 }),
    sgd_momentum_wd: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }),
    sgd_dampening: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.8, dampening: 0.3 }),
    sgd_nesterov: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
    adam: (ps) => new Adam(ps, { lr: 0.01, weightDecay: 0.05 }),
    adamw: (ps) => new AdamW(ps, { lr: 0.01, weightDecay: 0.05 }),
  };
  for (const [name, ref] of Object.entries(fx.optimizers)) {
    it(name, async () => {
      const p = tensor(formula(13, 1, 1), { device, requiresGrad: true });
      const opt = make[name]!([p]);
      for (let s = 0; s < ref.length; s++) {
        p.grad = tensor(formula(13, 2 + s, 0.5), { device });
        opt.step();
        expect(maxRelDiff(await p.data(), ref[s]!), `step ${s + 1}`).toBeLessThanOrEqual(1e-6);
      }
      opt.dispose();
      p.dispose();
    });
  }
});

describe('schedulers follow PyTorch', () => {
  const metrics = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.95, 0.99, 0.5, 0.6, 0.7, 0.8];
  const cases: Record<string, (o: Optimizer) => { step(m?: number): void }> = {
    step: (o) => new StepLR(o, 3, 0.5),
    multistep: (o) => new MultiStepLR(o, [2, 5, 9], 0.3),
    cosine: (o) => new CosineAnnealingLR(o, 10, 0.001),
    onecycle: (o) => new OneCycleLR(o, { maxLr: 0.5, totalSteps: 13, cycleMomentum: false }),
    onecycle_linear_3phase: (o) =>
      new OneCycleLR(o, {
        maxLr: 0.5,
        totalSteps: 13,
        annealStrategy: 'linear',
        threePhase: true,
        cycleMomentum: false,
      }),
    plateau: (o) => new ReduceLROnPlateau(o, { patience: 1, factor: 0.5, cooldown: 1 }),
  };
  for (const [name, ref] of Object.entries(fx.schedulers)) {
    it(name, () => {
      const p = tensor([0], { device: 'cpu', requiresGrad: true });
      const opt = new SGD([p], { lr: 0.1 });
      const sched = cases[name]!(opt);
      const lrs = [opt.lr];
      for (let s = 0; s < ref.length - 1; s++) {
        sched.step(name === 'plateau' ? metrics[s] : undefined);
        lrs.push(opt.lr);
      }
      lrs.forEach((lr, i) => expect(lr, `step ${i}`).toBeCloseTo(ref[i]!, 12));
      p.dispose();
    });
  }
});

describe('OneCycleLR cycles momentum like PyTorch', () => {
  for (const [name, ref] of Object.entries(fx.onecycle_momentum)) {
    it(name, () => {
      const p = tensor([0], { device: 'cpu', requiresGrad: true });
      const opt = name === 'sgd' ? new SGD([p], { lr: 0.1, momentum: 0.9 }) : new Adam([p], { lr: 0.1 });
      const sched = new OneCycleLR(opt, { maxLr: 0.5, totalSteps: 13 });
      const read = () => [opt.lr, name === 'sgd' ? (opt as SGD).momentum : (opt as Adam).beta1];
      const got = [read()];
      for (let s = 0; s < ref.length - 1; s++) {
        sched.step();
        got.push(read());
      }
      got.forEach(([lr, m], i) => {
        expect(lr, `lr at step ${i}`).toBeCloseTo(ref[i]![0]!, 12);
        expect(m, `momentum at step ${i}`).toBeCloseTo(ref[i]![1]!, 12);
      });
      p.dispose();
    });
  }
});

async function runLayer(c: LayerCase, device: DeviceName, fn: (t: Record<string, Tensor>) => Tensor) {
  const t: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.inputs)) t[k] = load(v, device, k in c.grads);
  const out = fn(t);
  const outErr = maxRelDiff(await out.data(), decode(c.output));
  out.backward(load(c.upstream, device));
  let gradErr = 0;
  for (const [k, g] of Object.entries(c.grads))
    gradErr = Math.max(gradErr, maxRelDiff(await t[k]!.grad!.data(), decode(g)));
  return { outErr, gradErr };
}

describe.each(backendsUnderTest())('layers and losses on %s match PyTorch', (device) => {
  it('BatchNorm2d in training (batch statistics, running statistics updated) and in eval', async () => {
    const bn = new BatchNorm2d(5, { momentum: 0.2, device });
    const [w, b] = bn.parameters() as [Tensor, Tensor];
    const wv = formula(5, 0.2, 1).map((v) => v + 1);
    w.assign(tensor(wv, { device }));
    b.assign(tensor(formula(5, 0.4, 0.5), { device }));
    const train = await runLayer(fx.batchnorm_train, device, (t) => bn.forward(t.x!));
    expect(train.outErr).toBeLessThanOrEqual(1e-4);
    expect(train.gradErr).toBeLessThanOrEqual(1e-4);
    const state = bn.stateDict();
    expect(maxRelDiff(await state.get('running_mean')!.data(), fx.batchnorm_train.running_mean!)).toBeLessThanOrEqual(
      1e-5,
    );
    expect(maxRelDiff(await state.get('running_var')!.data(), fx.batchnorm_train.running_var!)).toBeLessThanOrEqual(
      1e-5,
    );
    expect(Array.from(await state.get('num_batches_tracked')!.data())).toEqual([1]);
    bn.eval();
    const ev = await runLayer(fx.batchnorm_eval, device, (t) => bn.forward(t.x!));
    expect(ev.outErr).toBeLessThanOrEqual(1e-4);
    expect(ev.gradErr).toBeLessThanOrEqual(1e-4);
    report.push(
      `  BatchNorm2d (${device}): train ${Math.max(train.outErr, train.gradErr).toExponential(2)}, eval ${Math.max(ev.outErr, ev.gradErr).toExponential(2)}`,
    );
  });

  for (const [name, c] of Object.entries(fx.losses)) {
    it(`loss ${name}`, async () => {
      const labels = () => tensor(Int32Array.from(c.labels ?? []), { device });
      const fns: Record<string, (t: Record<string, Tensor>) => Tensor> = {
        ce_smoothing: (t) => crossEntropy(t.logits!, labels(), { labelSmoothing: 0.1 }),
        ce_smoothing_weighted: (t) =>
          crossEntropy(t.logits!, labels(), {
            labelSmoothing: 0.2,
            weight: tensor(Float32Array.from(c.weight!), { device }),
          }),
        nll: (t) => nllLoss(t.lp!, labels()),
        mse: (t) => mseLoss(t.a!, t.b!),
        bce_logits: (t) => binaryCrossEntropyWithLogits(t.a!, t.t!),
      };
      const r = await runLayer(c, device, fns[name]!);
      expect(r.outErr).toBeLessThanOrEqual(1e-5);
      expect(r.gradErr).toBeLessThanOrEqual(1e-5);
      report.push(`  ${name} (${device}): ${Math.max(r.outErr, r.gradErr).toExponential(2)}`);
    });
  }
});
