import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, tensor, type DeviceName, type Module, noGrad } from '@pneumo/nn';

/** The blog's network as a Sequential, layer for layer. */
export function blogCnnSequential(device?: DeviceName): Sequential {
  const o = { device };
  return new Sequential(
    new Conv2d(3, 32, 3, { ...o, padding: 1 }),
    new ReLU(),
    new Conv2d(32, 64, 3, { ...o, stride: 1, padding: 1 }),
    new ReLU(),
    new MaxPool2d(2, 2),
    new Conv2d(64, 128, 3, { ...o, stride: 1, padding: 1 }),
    new ReLU(),
    new Conv2d(128, 128, 3, { ...o, stride: 1, padding: 1 }),
    new ReLU(),
    new MaxPool2d(2, 2),
    new Conv2d(128, 256, 3, { ...o, stride: 1, padding: 1 }),
    new ReLU(),
    new Conv2d(256, 256, 3, { ...o, stride: 1, padding: 1 }),
    new ReLU(),
    new MaxPool2d(2, 2),
    new Flatten(),
    new Linear(4096, 1024, o),
    new ReLU(),
    new Linear(1024, 512, o),
    new ReLU(),
    new Linear(512, 10, o),
  );
}

/** The fixture script's closed-form values: scale * sin(0.7 j + seed) * cos(0.013 j), as float32. */
export function formula(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = scale * Math.sin(0.7 * j + seed) * Math.cos(0.013 * j);
  return out;
}

/** Sets every parameter as the fixture script does (i-th parameter: seed 0.1 i, scale 1/sqrt(fan_in)). */
export function setFormulaWeights(model: Module): void {
  const named = [...model.namedParameters()];
  const state = model.stateDict();
  noGrad(() => {
    named.forEach(([name, p], i) => {
      const w = p.ndim > 1 ? p : state.get(name.replace('bias', 'weight'))!;
      const fanIn = w.size / w.shape[0]!;
      const t = tensor(formula(p.size, 0.1 * i, 1 / Math.sqrt(fanIn)), { shape: p.shape, device: p.device });
      p.assign(t);
      t.dispose();
    });
  });
}

export function sampleIdx(n: number, k = 64): number[] {
  return [...new Set(Array.from({ length: k }, (_, i) => (i * 7919 + 13) % n))].sort((a, b) => a - b);
}
