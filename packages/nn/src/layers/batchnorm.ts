import { batchNorm2d, formatShape, incrementInt32, ones, type Tensor, zeros } from '@pneumo/tensor';
import { Module } from '../module.js';
import type { LayerOptions } from './options.js';

/**
 * Batch normalization over NCHW input, like torch.nn.BatchNorm2d: batch
 * statistics in training (running statistics updated with `momentum`, the
 * variance unbiased), running statistics in eval. The math is the
 * batchNorm2d op's (WGSL kernels on WebGPU).
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

  /** Fuse a following ReLU into the normalization's pass (ResNet's bn + relu); the result is max(bn(x), 0), or max(bn(x) + residual, 0). */
  fusedRelu = false;

  /** bn(x), plus `residual` (x's shape) when given, in one pass: a ResNet block's bn2(out) + shortcut. */
  forward(x: Tensor, residual?: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw new Error(`BatchNorm2d: expected input [N, ${this.numFeatures}, H, W], got ${formatShape(x.shape)}`);
    }
    const y = batchNorm2d(
      x,
      this.tensor('running_mean'),
      this.tensor('running_var'),
      this.tensor('weight'),
      this.tensor('bias'),
      {
        training: this.training,
        momentum: this.momentum,
        eps: this.eps,
        relu: this.fusedRelu,
        residual,
      },
    );
    if (this.training) this.countBatch();
    return y;
  }

  /**
   * PyTorch's num_batches_tracked + 1, on the device (the buffer may have
   * been loaded from a checkpoint, so no host-side count can be trusted):
   * one in-place int32 dispatch.
   */
  private countBatch(): void {
    incrementInt32(this.tensor('num_batches_tracked')!);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}
