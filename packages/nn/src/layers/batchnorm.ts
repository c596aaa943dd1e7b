import { formatShape, keep, noGrad, ones, type Tensor, tensor, tidy, zeros } from '@pneumo/tensor';
import { Module } from '../module.js';
import type { LayerOptions } from './options.js';

/**
 * Batch normalization over NCHW input, like torch.nn.BatchNorm2d: batch
 * statistics in training (running statistics updated with `momentum`, the
 * variance unbiased), running statistics in eval.
 */
export class BatchNorm2d extends Module {
  constructor(
    readonly numFeatures: number,
    readonly options: LayerOptions & { eps?: number; momentum?: number; affine?: boolean } = {},
  ) {
    super();
    const d = { device: options.device };
    const affine = options.affine ?? true;
    this.registerParameter('weight', affine ? ones([numFeatures], d) : null);
    this.registerParameter('bias', affine ? zeros([numFeatures], d) : null);
    this.registerBuffer('running_mean', zeros([numFeatures], d));
    this.registerBuffer('running_var', ones([numFeatures], d));
    this.registerBuffer('num_batches_tracked', zeros([], { ...d, dtype: 'int32' }));
  }

  get eps(): number {
    return this.options.eps ?? 1e-5;
  }

  get momentum(): number {
    return this.options.momentum ?? 0.1;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw new Error(`BatchNorm2d: expected input [N, ${this.numFeatures}, H, W], got ${formatShape(x.shape)}`);
    }
    const c = this.numFeatures;
    const weight = this.tensor('weight');
    const bias = this.tensor('bias');
    const runningMean = this.tensor('running_mean')!;
    const runningVar = this.tensor('running_var')!;
    return tidy(() => {
      let mean: Tensor;
      let variance: Tensor;
      if (this.training) {
        const count = x.size / c;
        if (count <= 1) throw new Error(`BatchNorm2d: expected more than 1 value per channel in training, got input ${formatShape(x.shape)}`);
        mean = x.mean([0, 2, 3], true);
        variance = x.sub(mean).pow(2).mean([0, 2, 3], true);
        noGrad(() => {
          const m = this.momentum;
          const newMean = runningMean.mul(1 - m).add(mean.reshape([c]).mul(m));
          const newVar = runningVar.mul(1 - m).add(variance.reshape([c]).mul((m * count) / (count - 1)));
          runningMean.assign(newMean);
          runningVar.assign(newVar);
          newMean.dispose();
          newVar.dispose();
        });
        noGrad(() => this.countBatch());
      } else {
        mean = runningMean.reshape([1, c, 1, 1]);
        variance = runningVar.reshape([1, c, 1, 1]);
      }
      let y = x.sub(mean).div(variance.add(this.eps).sqrt());
      if (weight && bias) y = y.mul(weight.reshape([1, c, 1, 1])).add(bias.reshape([1, c, 1, 1]));
      return y;
    });
  }

  /** Training batches seen (PyTorch's num_batches_tracked), counted on the host and mirrored in the buffer. */
  private batches = 0;

  private countBatch(): void {
    const old = this.tensor('num_batches_tracked')!;
    this.batches++;
    this.setTensor('num_batches_tracked', keep(tensor(new Int32Array([this.batches]), { shape: [], device: old.device })));
    old.dispose();
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}
