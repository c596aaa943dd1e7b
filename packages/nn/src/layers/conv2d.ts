import { conv2d, pair, type Tensor } from '@pneumo/tensor';
import * as init from '../init.js';
import { Module } from '../module.js';
import type { LayerOptions } from './options.js';

type Pair = number | [number, number];

/** 2-D convolution over NCHW input, weight [out, in, kh, kw], like torch.nn.Conv2d (dilation 1, groups 1). */
export class Conv2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: LayerOptions & { stride?: Pair; padding?: Pair; bias?: boolean } = {},
  ) {
    super();
    for (const [k, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Conv2d: ${k} must be a positive integer, got ${v}`);
    }
    // The same checks (and messages) as the conv2d op, at construction.
    this.kernelSize = pair('Conv2d', 'kernelSize', kernelSize, 1, 1);
    this.stride = pair('Conv2d', 'stride', options.stride, 1, 1);
    this.padding = pair('Conv2d', 'padding', options.padding, 0, 0);
    const shape = [outChannels, inChannels, ...this.kernelSize];
    this.registerParameter('weight', init.defaultWeight(shape, options));
    this.registerParameter('bias', options.bias === false ? null : init.defaultBias(shape, outChannels, options));
  }

  get weight(): Tensor {
    return this.tensor('weight')!;
  }

  get bias(): Tensor | null {
    return this.tensor('bias');
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')}), padding=(${this.padding.join(', ')})`;
  }
}
