import {
  adaptiveAvgPool2d,
  avgPool2d,
  flatten,
  gelu,
  leakyRelu,
  maxPool2d,
  relu,
  sigmoid,
  tanh,
  type Tensor,
} from '@pneumo/tensor';
import { Module } from '../module.js';

/** A parameter-free layer that applies one op; the activations below are this with their op. */
export class OpLayer extends Module {
  constructor(private readonly op: (x: Tensor) => Tensor) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.op(x);
  }
}

export class ReLU extends OpLayer {
  constructor() {
    super(relu);
  }
}
export class Sigmoid extends OpLayer {
  constructor() {
    super(sigmoid);
  }
}
export class Tanh extends OpLayer {
  constructor() {
    super(tanh);
  }
}
/** Like torch.nn.GELU() (the exact, erf-based form). */
export class GELU extends OpLayer {
  constructor() {
    super(gelu);
  }
}

/** Like torch.nn.LeakyReLU (negative_slope 0.01 by default). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

type Pair = number | [number, number];

/** Like torch.nn.MaxPool2d (stride defaults to the kernel size). */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly stride: Pair = kernelSize,
    readonly padding: Pair = 0,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride, this.padding);
  }

  override extraRepr(): string {
    return `kernel_size=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}`;
  }
}

/** Like torch.nn.AvgPool2d (count_include_pad true by default). */
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly stride: Pair = kernelSize,
    readonly padding: Pair = 0,
    readonly countIncludePad = true,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.stride, this.padding, { countIncludePad: this.countIncludePad });
  }

  override extraRepr(): string {
    return `kernel_size=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}`;
  }
}

/** Like torch.nn.AdaptiveAvgPool2d: averages to an outputSize (h, w) grid whatever the input size. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${JSON.stringify(this.outputSize)}`;
  }
}

/** Flattens dims startDim..endDim (default: all but the batch), like torch.nn.Flatten. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
