import {
  checkResNetConfig,
  Conv2d,
  type DeviceName,
  Flatten,
  type Generator,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  ResNet,
  type ResNetConfig,
  Sequential,
} from '@pneumo/nn';

/** Input the blog's network takes: 3 x 32 x 32. */
export const INPUT_SIZE = 32;
export const INPUT_CHANNELS = 3;
/** The blog's head has 10 outputs; training uses the first `classes` of them (see `classLogits`). */
export const BLOG_OUTPUTS = 10;

export interface BlogCnnOptions {
  /** Head outputs (default the blog's 10). */
  outputs?: number;
  device?: DeviceName;
  generator?: Generator;
}

/**
 * Exactly the blog's network (PyTorch names 0.weight … 20.bias, 5,851,338
 * parameters with the 10-output head):
 * Conv(3,32) ReLU Conv(32,64) ReLU Pool, Conv(64,128) ReLU Conv(128,128) ReLU Pool,
 * Conv(128,256) ReLU Conv(256,256) ReLU Pool, Flatten, Linear(4096,1024) ReLU
 * Linear(1024,512) ReLU Linear(512,outputs).
 */
export function blogCnn(options: BlogCnnOptions = {}): Sequential {
  const outputs = options.outputs ?? BLOG_OUTPUTS;
  const o = { device: options.device, generator: options.generator };
  const conv = (i: number, out: number) => new Conv2d(i, out, 3, { ...o, stride: 1, padding: 1 });
  return new Sequential(
    conv(3, 32),
    new ReLU(),
    conv(32, 64),
    new ReLU(),
    new MaxPool2d(2, 2),
    conv(64, 128),
    new ReLU(),
    conv(128, 128),
    new ReLU(),
    new MaxPool2d(2, 2),
    conv(128, 256),
    new ReLU(),
    conv(256, 256),
    new ReLU(),
    new MaxPool2d(2, 2),
    new Flatten(),
    new Linear(4096, 1024, o),
    new ReLU(),
    new Linear(1024, 512, o),
    new ReLU(),
    new Linear(512, outputs, o),
  );
}

/** The networks the app trains: the blog's CNN (the default, exact) and a ResNet of basic blocks. */
export const ARCHITECTURES = ['blog-cnn', 'resnet'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * The app's ResNet unless told otherwise: torchvision's resnet18 layout
 * (2 basic blocks in each of 4 stages) at a quarter of its widths, with the
 * small (3x3, stride 1) stem: 700,563 parameters for 3 classes, and at
 * 64x64 about as many multiply-adds per image as the blog CNN at 32x32.
 */
export const RESNET_DEFAULTS = { widths: [16, 32, 64, 128], blocks: [2, 2, 2, 2], stem: 'small' } as const;
/** The ResNet's default input side (the blog CNN's is fixed at INPUT_SIZE). */
export const RESNET_INPUT_SIZE = 64;

export interface ArchitectureOptions {
  architecture?: Architecture;
  /** Square input side: the blog CNN takes only INPUT_SIZE; the ResNet 16-256 (default RESNET_INPUT_SIZE). */
  inputSize?: number;
  /** ResNet stages (default RESNET_DEFAULTS). */
  widths?: number[];
  blocks?: number[];
}

/** What a checkpoint records of its network: enough to build it again. */
export interface ModelSpec {
  architecture: Architecture;
  inputSize: number;
  outputs: number;
  /** The ResNet's full configuration (absent for the blog CNN). */
  resnet?: ResNetConfig;
}

/** The checked spec of a network for `classes` classes (the blog CNN keeps its 10-output head unless `outputs` says otherwise). */
export function modelSpec(o: ArchitectureOptions & { outputs?: number }, classes: number): ModelSpec {
  const architecture = o.architecture ?? 'blog-cnn';
  if (!ARCHITECTURES.includes(architecture))
    throw new Error(`unknown architecture '${String(architecture)}' (${ARCHITECTURES.join(', ')})`);
  if (architecture === 'blog-cnn') {
    if (o.inputSize !== undefined && o.inputSize !== INPUT_SIZE)
      throw new Error(
        `the blog CNN takes ${INPUT_SIZE}x${INPUT_SIZE} input (its Linear(4096, …) fixes it), not ${o.inputSize}`,
      );
    if (o.widths || o.blocks) throw new Error('widths and blocks are ResNet options; the blog CNN is fixed');
    const outputs = o.outputs ?? BLOG_OUTPUTS;
    if (outputs < classes) throw new Error(`the head has ${outputs} outputs, fewer than the ${classes} classes`);
    return { architecture, inputSize: INPUT_SIZE, outputs };
  }
  const inputSize = o.inputSize ?? RESNET_INPUT_SIZE;
  if (!Number.isInteger(inputSize) || inputSize < 16 || inputSize > 256)
    throw new Error(`the ResNet's input size must be an integer from 16 to 256 (e.g. 64, 96, 128), got ${inputSize}`);
  const outputs = o.outputs ?? classes;
  if (outputs !== classes) throw new Error(`the ResNet's head has one output per class (${classes}), not ${outputs}`);
  const resnet: ResNetConfig = {
    inChannels: INPUT_CHANNELS,
    inputSize,
    classes,
    widths: [...(o.widths ?? RESNET_DEFAULTS.widths)],
    blocks: [...(o.blocks ?? (o.widths ? o.widths.map(() => 2) : RESNET_DEFAULTS.blocks))],
    stem: RESNET_DEFAULTS.stem,
  };
  checkResNetConfig(resnet);
  return { architecture, inputSize, outputs, resnet };
}

/** A new network as `spec` describes it. */
export function buildModel(spec: ModelSpec, o: { device?: DeviceName; generator?: Generator } = {}): Module {
  if (spec.architecture === 'blog-cnn') return blogCnn({ outputs: spec.outputs, ...o });
  if (!spec.resnet) throw new Error('a ResNet model spec needs its configuration');
  return new ResNet(spec.resnet, o);
}
