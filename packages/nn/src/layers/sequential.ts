import type { Tensor } from '@pneumo/tensor';
import { Module } from '../module.js';

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
    let h = x;
    for (const [i, m] of this.layers.entries()) {
      const next = m.forward(h);
      // Intermediate activations belong to the graph now (or are garbage under
      // noGrad); a layer that passes its input through keeps it alive.
      if (i > 0 && next !== h) h.dispose();
      h = next;
    }
    return h;
  }
}
