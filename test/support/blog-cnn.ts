/** Fixture helpers for the PyTorch golden tests (which check the model the app ships: blogCnn() from @pneumo/pneumonia). */
import { tensor, type Module, noGrad } from '@pneumo/nn';

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
