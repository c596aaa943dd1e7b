/**
 * A small convolutional network's loss and gradients from fixed weights and
 * data: the page runs it on WebGPU and on the cpu backend and compares, and
 * the browser tests compare the page's WebGPU result with Node's cpu
 * backend. Only @pneumo/nn, so both sides run this very code.
 */
import {
  Conv2d,
  crossEntropy,
  Flatten,
  Generator,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
  tensor,
  tidy,
} from '@pneumo/nn';

export interface GradientResult {
  loss: number;
  grads: Record<string, number[]>;
}

export async function gradientCheck(device: 'webgpu' | 'cpu'): Promise<GradientResult> {
  const g = new Generator(3);
  const o = { generator: g, device };
  // Awkward on purpose: odd channel counts, a stride-2 convolution, pooling.
  const model = new Sequential(
    new Conv2d(3, 5, 3, { ...o, padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(5, 7, 3, { ...o, stride: 2, padding: 1 }),
    new ReLU(),
    new Flatten(),
    new Linear(7 * 3 * 3, 3, o),
  );
  const xs = Float32Array.from({ length: 2 * 3 * 10 * 10 }, () => g.normal());
  const x = tensor(xs, { shape: [2, 3, 10, 10], device });
  const y = tensor(Int32Array.from([0, 2]), { shape: [2], device });
  const loss = tidy(() => crossEntropy(model.forward(x), y));
  loss.backward();
  const grads: Record<string, number[]> = {};
  for (const [name, p] of model.namedParameters()) grads[name] = Array.from(await p.grad!.data());
  const value = await loss.item();
  for (const t of [loss, x, y]) t.dispose();
  model.zeroGrad();
  model.dispose();
  return { loss: value, grads };
}

/** Largest |a - b| relative to each gradient's own largest magnitude. */
export function worstDifference(a: GradientResult, b: GradientResult): number {
  let worst = Math.abs(a.loss - b.loss) / Math.max(1e-12, Math.abs(b.loss));
  for (const [name, want] of Object.entries(b.grads)) {
    const got = a.grads[name];
    if (!got || got.length !== want.length) return Infinity;
    const scale = Math.max(1e-12, ...want.map(Math.abs));
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(got[i]! - want[i]!) / scale;
      if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
    }
  }
  return worst;
}
