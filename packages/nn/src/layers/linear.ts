import { linear, type Tensor } from '@pneumo/tensor';
import * as init from '../init.js';
import { Module } from '../module.js';
import type { LayerOptions } from './options.js';

/** y = x·Wᵀ + b, weight [out, in], like torch.nn.Linear. */
export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    for (const [k, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    const shape = [outFeatures, inFeatures];
    this.registerParameter('weight', init.defaultWeight(shape, options));
    this.registerParameter('bias', options.bias === false ? null : init.defaultBias(shape, outFeatures, options));
  }

  get weight(): Tensor {
    return this.tensor('weight')!;
  }

  get bias(): Tensor | null {
    return this.tensor('bias');
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
