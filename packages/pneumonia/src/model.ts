import { Conv2d, type DeviceName, Flatten, type Generator, Linear, MaxPool2d, ReLU, Sequential } from '@pneumo/nn';

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
