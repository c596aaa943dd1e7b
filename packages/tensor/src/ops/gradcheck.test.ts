import { describe, expect, it } from 'vitest';
import { noGrad, tensor, tidy } from '../index.js';
import { inputValues, OP_CASES } from './op-cases.testing.js';

// Central finite differences on the cpu backend: L = sum(f(x) * w) for a
// fixed random w, perturbing each input element by ±EPS. float32 storage
// limits the accuracy of the numeric side, hence the loose tolerance; a
// wrong formula is off by far more.
const EPS = 1e-2;
const TOL = 1e-2;

describe('analytic gradients match finite differences (cpu)', () => {
  for (const [i, c] of OP_CASES.entries()) {
    if (c.noGradCheck) continue;
    it(c.name, async () => {
      const values = c.inputs.map((spec, k) => inputValues(spec, 5000 + i + 31 * k));
      const inputs = values.map((v, k) => tensor(v, { shape: c.inputs[k]!.shape, device: 'cpu', requiresGrad: true }));
      const out = tidy(() => c.fn(...inputs));
      const wv = inputValues({ shape: [...out.shape] }, 77 + i);
      const w = tensor(wv, { shape: out.shape, device: 'cpu' });
      const loss = tidy(() => out.mul(w).sum());
      loss.backward();

      const lossAt = async (k: number, j: number, delta: number) => {
        const shifted = values.map((v, m) => {
          const copy = v.slice();
          if (m === k) copy[j] = copy[j]! + delta;
          return tensor(copy, { shape: c.inputs[m]!.shape, device: 'cpu' });
        });
        const l = noGrad(() =>
          tidy(() =>
            c
              .fn(...shifted)
              .mul(w)
              .sum(),
          ),
        );
        const v = await l.item();
        l.dispose();
        for (const t of shifted) t.dispose();
        return v;
      };

      for (let k = 0; k < inputs.length; k++) {
        const analytic = await inputs[k]!.grad!.data();
        for (let j = 0; j < values[k]!.length; j++) {
          const numeric = ((await lossAt(k, j, EPS)) - (await lossAt(k, j, -EPS))) / (2 * EPS);
          const a = analytic[j]!;
          expect(
            Math.abs(numeric - a),
            `input ${k} element ${j}: numeric ${numeric} vs analytic ${a}`,
          ).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(a)));
        }
      }
      for (const t of [...inputs, out, w, loss]) t.dispose();
    });
  }
});
