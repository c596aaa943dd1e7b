/**
 * The blog CNN written with TensorFlow.js core ops (NHWC, as TF.js prefers),
 * for the training-throughput baseline. Same layers and parameter count as
 * pneumo's blogCnn(); the weights are random (only speed is compared).
 */
import type { Tensor, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import type { Tf } from './tfjs.js';

export interface TfjsNet {
  trainStep(x: Tensor, y: Tensor): Promise<void>;
  infer(x: Tensor): Promise<void>;
  dispose(): void;
}

const CONVS = [
  [3, 32],
  [32, 64],
  [64, 128],
  [128, 128],
  [128, 256],
  [256, 256],
] as const;
const LINEARS = [
  [4096, 1024],
  [1024, 512],
  [512, 10],
] as const;

export function tfjsBlogCnn(tf: Tf, optimizer: 'sgd' | 'adam' | null): TfjsNet {
  const vars: Variable[] = [];
  const param = (shape: number[], fanIn: number) => {
    const v = tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
    vars.push(v);
    return v;
  };
  const convs = CONVS.map(([i, o]) => ({ w: param([3, 3, i, o], 9 * i), b: param([o], 9 * i) }));
  const linears = LINEARS.map(([i, o]) => ({ w: param([i, o], i), b: param([o], i) }));
  const forward = (x: Tensor): Tensor => {
    let h = x as Tensor4D;
    convs.forEach((c, i) => {
      h = tf.relu(tf.add(tf.conv2d(h, c.w as Tensor4D, 1, 'same'), c.b)) as Tensor4D;
      if (i % 2 === 1) h = tf.maxPool(h, 2, 2, 'valid');
    });
    let f = tf.reshape(h, [h.shape[0], 4096]) as Tensor2D;
    linears.forEach((l, i) => {
      f = tf.add(tf.matMul(f, l.w as Tensor2D), l.b);
      if (i < linears.length - 1) f = tf.relu(f);
    });
    return f;
  };
  const opt = optimizer === 'sgd' ? tf.train.momentum(1e-3, 0.9) : optimizer === 'adam' ? tf.train.adam(1e-4) : null;
  return {
    async trainStep(x, y) {
      if (!opt) throw new Error('this network was built for inference');
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as never, true, vars);
      await loss!.data();
      loss!.dispose();
    },
    async infer(x) {
      const out = tf.tidy(() => forward(x));
      await out.data();
      out.dispose();
    },
    dispose() {
      opt?.dispose();
      for (const v of vars) v.dispose();
    },
  };
}
