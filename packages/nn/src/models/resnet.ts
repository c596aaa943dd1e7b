import { formatShape, type Tensor, tidy } from '@pneumo/tensor';
import * as init from '../init.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import type { LayerOptions } from '../layers/options.js';
import { Sequential } from '../layers/sequential.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../layers/simple.js';
import { Module } from '../module.js';

/**
 * How a ResNet is built; recorded in checkpoints, so every field is plain
 * data. torchvision's resnet18 is `{ widths: [64, 128, 256, 512], blocks:
 * [2, 2, 2, 2], stem: 'imagenet' }`.
 */
export interface ResNetConfig {
  /** Input channels (3 for RGB). */
  inChannels: number;
  /** Square input side the network is built for; forward refuses other sizes. */
  inputSize: number;
  classes: number;
  /** Channels of each stage; every stage after the first halves the resolution. */
  widths: number[];
  /** Basic blocks per stage. */
  blocks: number[];
  /**
   * 'small': one 3x3 stride-1 convolution (CIFAR-style, for inputs of 32-128
   * pixels); 'imagenet': torchvision's 7x7 stride-2 convolution and 3x3
   * stride-2 max pooling.
   */
  stem: 'small' | 'imagenet';
}

export type ResNetOptions = LayerOptions;

/** The spatial side after the stem and every stage: what `inputSize` must leave at least 1 of. */
export function resnetFeatureSize(c: ResNetConfig): number {
  let s = c.inputSize;
  if (c.stem === 'imagenet') {
    s = Math.floor((s + 2 * 3 - 7) / 2) + 1;
    s = Math.floor((s + 2 - 3) / 2) + 1;
  }
  for (let i = 1; i < c.widths.length; i++) s = Math.floor((s + 2 - 3) / 2) + 1;
  return s;
}

export function checkResNetConfig(c: ResNetConfig): void {
  const positive = (name: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) <= 0)
      throw new Error(`resnet: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  positive('inChannels', c.inChannels);
  positive('inputSize', c.inputSize);
  positive('classes', c.classes);
  if (!Array.isArray(c.widths) || c.widths.length === 0) throw new Error('resnet: widths must list at least one stage');
  if (!Array.isArray(c.blocks) || c.blocks.length !== c.widths.length) {
    throw new Error(
      `resnet: blocks must give a count for each of the ${c.widths.length} stages, got ${JSON.stringify(c.blocks)}`,
    );
  }
  c.widths.forEach((w, i) => positive(`widths[${i}]`, w));
  c.blocks.forEach((b, i) => positive(`blocks[${i}]`, b));
  if (c.stem !== 'small' && c.stem !== 'imagenet')
    throw new Error(`resnet: stem must be 'small' or 'imagenet', got ${JSON.stringify(c.stem)}`);
  if (resnetFeatureSize(c) < 1)
    throw new Error(
      `resnet: input ${c.inputSize}x${c.inputSize} is too small for the stem and ${c.widths.length} stages`,
    );
}

/**
 * torchvision's initialization: convolutions Kaiming-normal over fan-out
 * (ReLU gain), batch norms 1 and 0 (the BatchNorm2d defaults).
 */
function conv(inCh: number, outCh: number, k: number, stride: number, o: LayerOptions): Conv2d {
  const c = new Conv2d(inCh, outCh, k, { ...o, stride, padding: (k - 1) / 2, bias: false });
  const w = init.kaimingNormal(c.weight.shape, { ...o, mode: 'fanOut', nonlinearity: 'relu' });
  c.weight.assign(w);
  w.dispose();
  return c;
}

/**
 * torchvision's BasicBlock: two 3x3 convolutions with batch norm, ReLU after
 * the first and after the sum; the shortcut is the identity, or a 1x1
 * convolution + batch norm (`downsample`) where the stride or width changes.
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inCh: number, outCh: number, stride: number, o: LayerOptions = {}) {
    super();
    this.conv1 = this.registerModule('conv1', conv(inCh, outCh, 3, stride, o));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(outCh, { device: o.device }));
    // relu(bn1(x)) in one pass: the block never needs bn1's output alone.
    this.bn1.fusedRelu = true;
    this.conv2 = this.registerModule('conv2', conv(outCh, outCh, 3, 1, o));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(outCh, { device: o.device }));
    // relu(bn2(out) + shortcut) in one pass too.
    this.bn2.fusedRelu = true;
    this.downsample =
      stride !== 1 || inCh !== outCh
        ? this.registerModule(
            'downsample',
            new Sequential(conv(inCh, outCh, 1, stride, o), new BatchNorm2d(outCh, { device: o.device })),
          )
        : null;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const shortcut = this.downsample ? this.downsample.forward(x) : x;
      return this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x))), shortcut);
    });
  }
}

/**
 * A ResNet of basic blocks with PyTorch's (torchvision's) module names, so
 * `stateDict()` loads into torchvision-style code with strict=True: conv1,
 * bn1, layer1.0.conv1.weight, layer2.0.downsample.0.weight,
 * layer1.0.bn1.running_mean, …, fc.weight.
 */
export class ResNet extends Module {
  readonly config: ResNetConfig;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly maxpool: MaxPool2d | null;
  readonly stages: Sequential[];
  readonly avgpool = new AdaptiveAvgPool2d(1);
  readonly fc: Linear;

  constructor(config: ResNetConfig, o: ResNetOptions = {}) {
    super();
    checkResNetConfig(config);
    this.config = { ...config, widths: [...config.widths], blocks: [...config.blocks] };
    const [k, stride] = config.stem === 'imagenet' ? [7, 2] : [3, 1];
    this.conv1 = this.registerModule('conv1', conv(config.inChannels, config.widths[0]!, k, stride, o));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(config.widths[0]!, { device: o.device }));
    this.bn1.fusedRelu = true;
    this.maxpool = config.stem === 'imagenet' ? this.registerModule('maxpool', new MaxPool2d(3, 2, 1)) : null;
    let inCh = config.widths[0]!;
    this.stages = config.widths.map((width, i) => {
      const blocks = Array.from(
        { length: config.blocks[i]! },
        (_, b) => new BasicBlock(b === 0 ? inCh : width, width, b === 0 && i > 0 ? 2 : 1, o),
      );
      inCh = width;
      return this.registerModule(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.registerModule('avgpool', this.avgpool);
    this.fc = this.registerModule('fc', new Linear(inCh, config.classes, o));
  }

  /** The last stage's activations [N, C, h, w] (what Grad-CAM explains) and the logits from them. */
  features(x: Tensor): Tensor {
    const { inChannels, inputSize } = this.config;
    if (x.ndim !== 4 || x.shape[1] !== inChannels || x.shape[2] !== inputSize || x.shape[3] !== inputSize) {
      throw new Error(
        `ResNet: expected input [N, ${inChannels}, ${inputSize}, ${inputSize}], got ${formatShape(x.shape)}`,
      );
    }
    return tidy(() => {
      let h = this.bn1.forward(this.conv1.forward(x));
      if (this.maxpool) h = this.maxpool.forward(h);
      for (const stage of this.stages) h = stage.forward(h);
      return h;
    });
  }

  /** Logits from the last stage's activations. */
  head(features: Tensor): Tensor {
    return tidy(() => this.fc.forward(this.avgpool.forward(features).flatten(1)));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.head(this.features(x)));
  }

  override extraRepr(): string {
    const c = this.config;
    return `widths=[${c.widths}], blocks=[${c.blocks}], stem=${c.stem}, input=${c.inChannels}x${c.inputSize}x${c.inputSize}, classes=${c.classes}`;
  }
}

/** A ResNet of basic blocks (see ResNetConfig); `resnet({ ... })` fills in RGB input and a 'small' stem. */
export function resnet(
  config: Partial<ResNetConfig> & Pick<ResNetConfig, 'widths' | 'blocks' | 'classes' | 'inputSize'>,
  o: ResNetOptions = {},
): ResNet {
  return new ResNet({ inChannels: 3, stem: 'small', ...config }, o);
}
