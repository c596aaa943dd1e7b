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

type Kernel = (name: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown>) => Tensor;

/**
 * TF.js's npm core package registers no gradients (its union package does),
 * so the backward pass is written out with TF.js's own backward kernels:
 * Conv2DBackpropFilter, conv2dTranspose (Conv2DBackpropInput), MaxPoolGrad,
 * matMul with transposes, and the ReLU mask — the kernels its autodiff would
 * run.
 */
export function tfjsBlogCnn(tf: Tf, optimizer: 'sgd' | 'adam' | null): TfjsNet {
  const vars: Variable[] = [];
  const param = (shape: number[], fanIn: number) => {
    const v = tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
    vars.push(v);
    return v;
  };
  const convs = CONVS.map(([i, o]) => ({ w: param([3, 3, i, o], 9 * i), b: param([o], 9 * i) }));
  const linears = LINEARS.map(([i, o]) => ({ w: param([i, o], i), b: param([o], i) }));
  const kernel: Kernel = (name, inputs, attrs) =>
    tf.engine().runKernel(name, inputs as never, attrs as never) as Tensor;

  /** Forward pass; with `saved`, keeps what the backward pass needs. */
  const forward = (x: Tensor, saved?: Tensor[][]): Tensor => {
    let h = x as Tensor4D;
    convs.forEach((c, i) => {
      const z = tf.add(tf.conv2d(h, c.w as Tensor4D, 1, 'same'), c.b) as Tensor4D;
      const a = tf.relu(z);
      let out = a;
      if (i % 2 === 1) out = tf.maxPool(a, 2, 2, 'valid');
      saved?.push([h, z, a, out]);
      h = out;
    });
    let f = tf.reshape(h, [h.shape[0], 4096]) as Tensor2D;
    linears.forEach((l, i) => {
      const z = tf.add(tf.matMul(f, l.w as Tensor2D), l.b) as Tensor2D;
      const out = i < linears.length - 1 ? tf.relu(z) : z;
      saved?.push([f, z]);
      f = out;
    });
    return f;
  };

  const backward = (logits: Tensor2D, y: Tensor, saved: Tensor[][]): Tensor[] => {
    const batch = logits.shape[0];
    const grads = new Map<Variable, Tensor>();
    let d: Tensor = tf.div(tf.sub(tf.softmax(logits), y), batch);
    for (let i = linears.length - 1; i >= 0; i--) {
      const [f, z] = saved[convs.length + i] as [Tensor2D, Tensor2D];
      const l = linears[i]!;
      if (i < linears.length - 1) d = tf.mul(d, tf.step(z));
      grads.set(l.w, tf.matMul(f, d as Tensor2D, true, false));
      grads.set(l.b, tf.sum(d, 0));
      d = tf.matMul(d as Tensor2D, l.w as Tensor2D, false, true);
    }
    d = tf.reshape(d, (saved[convs.length - 1]![3] as Tensor4D).shape);
    for (let i = convs.length - 1; i >= 0; i--) {
      const [h, z, a, out] = saved[i] as [Tensor4D, Tensor4D, Tensor4D, Tensor4D];
      const c = convs[i]!;
      if (i % 2 === 1)
        d = kernel('MaxPoolGrad', { dy: d, input: a, output: out }, { filterSize: 2, strides: 2, pad: 'valid' });
      d = tf.mul(d, tf.step(z));
      grads.set(
        c.w,
        kernel(
          'Conv2DBackpropFilter',
          { x: h, dy: d },
          { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: c.w.shape },
        ),
      );
      grads.set(c.b, tf.sum(d, [0, 1, 2]));
      if (i > 0) d = tf.conv2dTranspose(d as Tensor4D, c.w as Tensor4D, h.shape, 1, 'same');
    }
    return vars.map((v) => grads.get(v)!);
  };

  const opt = optimizer === 'sgd' ? tf.train.momentum(1e-3, 0.9) : optimizer === 'adam' ? tf.train.adam(1e-4) : null;
  return {
    async trainStep(x, y) {
      if (!opt) throw new Error('this network was built for inference');
      const loss = tf.tidy(() => {
        const saved: Tensor[][] = [];
        const logits = forward(x, saved) as Tensor2D;
        const grads = backward(logits, y, saved);
        opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
        return tf.losses.softmaxCrossEntropy(y, logits);
      });
      await loss.data();
      loss.dispose();
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
