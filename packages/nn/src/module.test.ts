import { describe, expect, it } from 'vitest';
import {
  Adam,
  clipGradNorm,
  Conv2d,
  Dropout,
  Flatten,
  LeakyReLU,
  Linear,
  manualSeed,
  memory,
  Module,
  ReLU,
  Sequential,
  SGD,
  Sigmoid,
  summary,
  Tanh,
  GELU,
  AvgPool2d,
  AdaptiveAvgPool2d,
  tensor,
  tidy,
  type Tensor,
} from './index.js';

class TwoLayer extends Module {
  readonly fc1 = this.registerModule('fc1', new Linear(4, 3));
  readonly act = this.registerModule('act', new ReLU());
  readonly fc2 = this.registerModule('fc2', new Linear(3, 2, { bias: false }));
  forward(x: Tensor): Tensor {
    return tidy(() => this.fc2.forward(this.act.forward(this.fc1.forward(x))));
  }
}

describe('Module', () => {
  it('names parameters like PyTorch, for named children and inside a Sequential', () => {
    const m = new TwoLayer();
    expect([...m.namedParameters()].map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'fc1.weight:3x4',
      'fc1.bias:3',
      'fc2.weight:2x3',
    ]);
    const s = new Sequential(new Conv2d(1, 2, 3), new ReLU(), new Flatten(), new Linear(8, 2));
    expect([...s.stateDict().keys()]).toEqual(['0.weight', '0.bias', '3.weight', '3.bias']);
    expect(s.toString()).toContain('(0): Conv2d(1, 2, kernel_size=(3, 3)');
    m.dispose();
    s.dispose();
  });

  it('initializes like PyTorch: weights and biases in ±1/sqrt(fan_in)', async () => {
    manualSeed(1);
    const l = new Linear(100, 50);
    const w = await l.weight.data();
    const bound = 1 / Math.sqrt(100);
    expect(Math.max(...Array.from(w).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(w).map(Math.abs))).toBeGreaterThan(0.9 * bound);
    // U(-b, b) has standard deviation b / sqrt(3).
    const std = Math.sqrt(Array.from(w).reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeCloseTo(bound / Math.sqrt(3), 2);
    l.dispose();
  });

  it('loads a state dict, and rejects missing, unexpected and mis-shaped keys clearly', async () => {
    const a = new TwoLayer();
    const b = new TwoLayer();
    b.loadStateDict(a.stateDict());
    expect(Array.from(await b.fc1.weight.data())).toEqual(Array.from(await a.fc1.weight.data()));
    // A copy, not a share: changing a later does not change b.
    a.fc1.weight.assign(tensor(new Float32Array(12), { shape: [3, 4] }));
    expect(Array.from(await b.fc1.weight.data())).not.toEqual(new Array(12).fill(0));

    const dict = new Map(a.stateDict());
    dict.delete('fc1.bias');
    dict.set('fc3.weight', tensor([1]));
    expect(() => b.loadStateDict(dict)).toThrow('loadStateDict: missing keys: fc1.bias; unexpected keys: fc3.weight');
    expect(b.loadStateDict(dict, { strict: false })).toEqual({ missing: ['fc1.bias'], unexpected: ['fc3.weight'] });
    const bad = new Map(a.stateDict());
    bad.set('fc2.weight', tensor([[1, 2]]));
    expect(() => b.loadStateDict(bad)).toThrow(
      'loadStateDict: shape mismatch for fc2.weight: expected [2, 3], got [1, 2]',
    );
    a.dispose();
    b.dispose();
  });

  it('train() and eval() reach every layer (Dropout is the identity in eval)', async () => {
    const d = new Dropout(0.5);
    const s = new Sequential(new Linear(2, 2), d);
    s.eval();
    expect(d.training).toBe(false);
    const x = tensor([[1, 2]]);
    expect(d.forward(x)).toBe(x);
    s.train();
    const big = tensor(new Float32Array(4000).fill(1), { shape: [4000] });
    const y = await d.forward(big).data();
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(1700);
    expect(zeros).toBeLessThan(2300);
    expect(y.every((v) => v === 0 || v === 2)).toBe(true);
    s.dispose();
  });

  it('summary lists output shapes and parameter counts', () => {
    const s = new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(4 * 5 * 5, 2));
    const text = summary(s, [1, 3, 5, 5]);
    expect(text).toContain('Conv2d (0)');
    expect(text).toContain('[1, 4, 5, 5]');
    expect(text).toContain('[1, 100]');
    expect(text).toContain(`Total params: ${(4 * 27 + 4 + 200 + 2).toLocaleString('en-US')}`);
    s.dispose();
  });
});

describe('optimizers', () => {
  it('state dicts resume training exactly', async () => {
    const run = async (split: boolean) => {
      const p = tensor([1, -2, 3], { requiresGrad: true });
      let opt = new Adam([p], { lr: 0.1, weightDecay: 0.01 });
      const out: number[] = [];
      for (let i = 0; i < 6; i++) {
        if (split && i === 3) {
          const state = opt.stateDict();
          const fresh = new Adam([p], { lr: 0.5 });
          fresh.loadStateDict(state);
          opt.dispose();
          opt = fresh;
        }
        p.grad = tensor([0.5 * i, -1, 0.25]);
        opt.step();
        out.push(...(await p.data()));
      }
      return out;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('clipGradNorm scales gradients to the max norm and returns the norm', async () => {
    const a = tensor([3, 0], { requiresGrad: true });
    const b = tensor([4], { requiresGrad: true });
    a.grad = tensor([3, 0]);
    b.grad = tensor([4]);
    const norm = clipGradNorm([a, b], 1);
    expect(await norm.item()).toBeCloseTo(5, 6);
    const ga = await a.grad.data();
    expect(ga[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    const small = tensor([0.1], { requiresGrad: true });
    small.grad = tensor([0.1]);
    clipGradNorm([small], 1);
    expect((await small.grad.data())[0]).toBeCloseTo(0.1, 7);
  });

  it('rejects bad arguments', () => {
    const p = tensor([1], { requiresGrad: true });
    expect(() => new SGD([], { lr: 0.1 })).toThrow('empty parameter list');
    expect(() => new SGD([p], { lr: -1 })).toThrow('invalid learning rate');
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow('nesterov momentum requires a momentum');
    expect(() => new SGD([tensor([1])], { lr: 0.1 })).toThrow('does not require grad');
  });

  it('a training loop with Module + optimizer keeps memory flat', () => {
    const model = new TwoLayer();
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = tensor([[1, 2, 3, 4]]);
    const step = () => {
      opt.zeroGrad();
      const loss = tidy(() => model.forward(x).pow(2).sum());
      loss.backward();
      opt.step();
      loss.dispose();
    };
    step();
    step();
    const before = memory();
    for (let i = 0; i < 50; i++) step();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    model.dispose();
    opt.dispose();
  });

  it('GELU, AvgPool2d and AdaptiveAvgPool2d run their ops, hold no parameters and print like PyTorch', async () => {
    const x = tensor(
      Float32Array.from({ length: 2 * 1 * 4 * 6 }, (_, i) => i % 7),
      { shape: [2, 1, 4, 6] },
    );
    const avg = await new AvgPool2d(2).forward(x).data();
    expect(avg[0]).toBeCloseTo((0 + 1 + (6 % 7) + (7 % 7)) / 4, 6);
    const global = new AdaptiveAvgPool2d(1).forward(x);
    expect(global.shape).toEqual([2, 1, 1, 1]);
    expect((await global.data())[0]).toBeCloseTo(
      Array.from({ length: 24 }, (_, i) => i % 7).reduce((a, b) => a + b, 0) / 24,
      5,
    );
    expect(Array.from(await new GELU().forward(tensor([1])).data())[0]).toBeCloseTo(0.8413447, 6);
    const net = new Sequential(
      new Conv2d(1, 2, 3),
      new GELU(),
      new AdaptiveAvgPool2d([1, 1]),
      new AvgPool2d(1, 1, 0, false),
    );
    expect(net.stateDict().size).toBe(2);
    expect(net.toString()).toMatch(/AdaptiveAvgPool2d\(output_size=\[1,1\]\)/);
    net.dispose();
  });

  it('activation modules (Sigmoid, Tanh, LeakyReLU) run their ops and hold no parameters', async () => {
    const x = tensor([-2, 0.5], { device: 'cpu' });
    expect(Array.from(await new Sigmoid().forward(x).data())).toEqual(
      [1 / (1 + Math.exp(2)), 1 / (1 + Math.exp(-0.5))].map(Math.fround),
    );
    expect(Array.from(await new Tanh().forward(x).data())[1]).toBeCloseTo(Math.tanh(0.5), 6);
    const leaky = new LeakyReLU(0.2);
    expect(Array.from(await leaky.forward(x).data())).toEqual([Math.fround(-0.4), 0.5]);
    expect(leaky.parameters()).toEqual([]);
    expect(new Sequential(new Linear(2, 2), new Tanh()).stateDict().size).toBe(2);
  });
});
