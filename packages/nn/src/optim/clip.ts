import { minimum, noGrad, type Tensor, tidy, full, keep } from '@pneumo/tensor';

/**
 * Scales the gradients of `params` so their joint L2 norm is at most
 * `maxNorm`, like torch.nn.utils.clip_grad_norm_. Runs on the device without
 * a readback; returns the norm before clipping (a one-element tensor).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): Tensor {
  const withGrad = [...params].filter((p) => p.grad);
  if (withGrad.length === 0) throw new Error('clipGradNorm: no parameter has a gradient');
  return noGrad(() =>
    tidy(() => {
      let sq: Tensor | null = null;
      for (const p of withGrad) {
        const s = p.grad!.pow(2).sum();
        sq = sq ? sq.add(s) : s;
      }
      const norm = sq!.sqrt();
      const device = norm.device;
      // clip_coef = max_norm / (norm + 1e-6), clamped at 1.
      const coef = minimum(full([], maxNorm, { device }).div(norm.add(1e-6)), full([], 1, { device }));
      for (const p of withGrad) {
        const scaled = keep(p.grad!.mul(coef));
        p.grad!.dispose();
        p.grad = scaled;
      }
      return norm;
    }),
  );
}
