import { defaultGenerator, full, type Generator, gt, rand, type Tensor, tidy } from '@pneumo/tensor';
import { Module } from '../module.js';

/**
 * Zeroes each element with probability p in training and scales the rest by
 * 1/(1-p), like torch.nn.Dropout; the identity in eval mode.
 */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    private readonly generator: Generator = defaultGenerator,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = 1 - this.p;
    return tidy(() => {
      // mask = (u < keep) / keep, from uniform draws of the seedable generator.
      const u = rand(x.shape, { device: x.device, generator: this.generator });
      const mask = gt(full([], keep, { device: x.device }), u).div(keep);
      return x.mul(mask);
    });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
