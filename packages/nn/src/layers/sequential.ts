import type { Tensor } from '@pneumo/tensor';
import { Module } from '../module.js';
import { MaxPool2d, ReLU } from './simple.js';

/**
 * Whether layers i and i + 1 are a plain ReLU then a plain MaxPool2d, which
 * forward() runs the other way round: max commutes with the monotone ReLU,
 * so max_pool(relu(x)) = relu(max_pool(x)) with the same values and the
 * same gradients for finite inputs (the pool picks the same element, the
 * ReLU's mask at it is the same, and the pool's padding never makes a
 * window of padding alone), while the ReLU and its gradient touch a pool
 * window's share of the elements (a quarter for the blog CNN's 2x2 pools).
 * Subclasses are left alone: they may do something else.
 */
const reluThenMaxPool = (layers: readonly Module[], i: number) =>
  layers[i]?.constructor === ReLU && layers[i + 1]?.constructor === MaxPool2d;

/**
 * Modules applied in order; children are named '0', '1', … so parameter
 * names match torch.nn.Sequential's ('0.weight', '3.bias', …).
 */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }

  forward(x: Tensor): Tensor {
    const order = this.layers.map((_, i) => i);
    for (let i = 0; i < order.length - 1; i++) {
      if (reluThenMaxPool(this.layers, i)) {
        order[i] = i + 1;
        order[i + 1] = i;
        i++;
      }
    }
    let h = x;
    for (const i of order) {
      const next = this.layers[i]!.forward(h);
      // Intermediate activations belong to the graph now (or are garbage under
      // noGrad); a layer that passes its input through keeps it alive.
      if (h !== x && next !== h) h.dispose();
      h = next;
    }
    return h;
  }
}
