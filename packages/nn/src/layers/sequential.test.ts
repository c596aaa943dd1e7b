/**
 * Sequential's ReLU -> MaxPool2d reordering: the same outputs and gradients
 * as the layers applied one by one, on inputs with all-negative windows,
 * zeros and ties, on both devices; subclasses keep their order.
 */
import { maxAbsDiff, requireWebGpu } from '@pneumo/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Conv2d,
  Flatten,
  Generator,
  Linear,
  MaxPool2d,
  ReLU,
  randn,
  Sequential,
  type Tensor,
  tensor,
} from '../index.js';

const devices = ['cpu', 'webgpu'] as const;

/** An odd-sized batch whose rows hold all-negative 2x2 windows, exact zeros and tied maxima. */
function awkwardInput(device: 'cpu' | 'webgpu'): Tensor {
  const [n, c, h, w] = [2, 3, 6, 5];
  const v = Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 1.7) * 3);
  for (let i = 0; i < v.length; i++) {
    const row = Math.floor(i / w) % h;
    if (row < 2)
      v[i] = -1 - (i % 3); // windows with no positive value
    else if (row === 2)
      v[i] = 0; // windows of zeros beside the next row's values
    else if (row === 4 && i % 2 === 0) v[i] = 1.25; // tied maxima
  }
  return tensor(v, { shape: [n, c, h, w], device });
}

describe('Sequential', () => {
  beforeAll(requireWebGpu);

  const nets = {
    // The awkward windows reach the pool as they are.
    'on the input': (device: 'cpu' | 'webgpu', g: Generator) =>
      new Sequential(new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(3 * 3 * 2, 5, { device, generator: g })),
    'after a convolution': (device: 'cpu' | 'webgpu', g: Generator) =>
      new Sequential(
        new Conv2d(3, 4, 3, { padding: 1, device, generator: g }),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(4 * 3 * 2, 5, { device, generator: g }),
      ),
  };
  for (const device of devices) {
    for (const [where, build] of Object.entries(nets)) {
      it(`runs ReLU then MaxPool2d ${where} with the values and gradients of the layers one by one (${device})`, async () => {
        const net = build(device, new Generator(7));
        const run = async (oneByOne: boolean) => {
          const x = awkwardInput(device);
          x.requiresGrad = true;
          for (const p of net.parameters()) p.grad = null;
          let y: Tensor = x;
          if (oneByOne) for (const m of net.layers) y = m.forward(y);
          else y = net.forward(x);
          y.mul(randn(y.shape, { device, generator: new Generator(3) }))
            .sum()
            .backward();
          return { y: await y.data(), dx: await x.grad!.data(), dw: await net.parameters()[0]!.grad!.data() };
        };
        const [seq, one] = [await run(false), await run(true)];
        // Windows with no positive value pass no gradient to the input, both ways.
        if (where === 'on the input') expect(one.dx.some((v) => v === 0)).toBe(true);
        for (const k of ['y', 'dx', 'dw'] as const) expect(maxAbsDiff(seq[k], one[k]), k).toBe(0);
      });
    }
  }

  it('keeps a ReLU subclass where it is', () => {
    const seen: number[][] = [];
    class SeeingReLU extends ReLU {
      override forward(x: Tensor): Tensor {
        seen.push([...x.shape]);
        return super.forward(x);
      }
    }
    const net = new Sequential(new SeeingReLU(), new MaxPool2d(2));
    net.forward(randn([1, 2, 4, 4], { generator: new Generator(1) }));
    expect(seen).toEqual([[1, 2, 4, 4]]);
  });

  it('reorders a plain pair, so the ReLU sees the pooled tensor', () => {
    const relu = new ReLU();
    const seen: number[][] = [];
    const pool = new MaxPool2d(2);
    const net = new Sequential(relu, pool);
    const original = relu.forward.bind(relu);
    relu.forward = (x: Tensor) => {
      seen.push([...x.shape]);
      return original(x);
    };
    const y = net.forward(randn([1, 2, 4, 4], { generator: new Generator(1) }));
    expect(seen).toEqual([[1, 2, 2, 2]]);
    expect(y.shape).toEqual([1, 2, 2, 2]);
  });
});
