import type { BatchNormShape } from '../backend/backend.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { tidy } from '../scope.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { full } from './creation.js';
import { cat } from './select.js';
import { narrow } from './narrow.js';
import { floatInputs, result } from './util.js';

export interface BatchNormOptions {
  /** Normalize with the batch's statistics (and update the running ones), as in PyTorch's train mode. */
  training: boolean;
  /** PyTorch's: running = (1 - momentum) · running + momentum · batch statistic. Default 0.1. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
  /** Apply ReLU to the result in the same pass (BatchNorm2d followed by ReLU). */
  relu?: boolean;
  /**
   * Added to the normalized result before the ReLU, in the same pass: a
   * ResNet block's relu(bn2(x) + shortcut) without a separate add and ReLU
   * (and, backward, without their gradient passes). x's shape.
   */
  residual?: Tensor;
}

/**
 * torch.nn.functional.batch_norm over NCHW input (plus `residual`, then
 * ReLU with `relu`). In training the batch mean and biased variance normalize, and
 * the running statistics, when given, move towards the batch mean and the
 * unbiased variance (in place, outside autograd). In eval the running
 * statistics normalize. weight and bias (per channel) are optional.
 *
 * Training runs as WGSL kernels: a per-channel reduction for the
 * statistics, one elementwise pass, and in backward a per-channel reduction
 * for the parameter gradients and one elementwise pass for the input's.
 */
export function batchNorm2d(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  options: BatchNormOptions,
): Tensor {
  const residual = options.residual ?? null;
  const given = [x, runningMean, runningVar, weight, bias, residual].filter((t): t is Tensor => t !== null);
  const backend = floatInputs('batchNorm2d', ...given);
  if (x.ndim !== 4)
    throw new Error(`batchNorm2d: expected a 4-D input [N, C, H, W], got shape ${formatShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  for (const [name, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c))
      throw new Error(
        `batchNorm2d: ${name} must have shape [${c}] for input ${formatShape(x.shape)}, got ${formatShape(t.shape)}`,
      );
  }
  if (residual && (residual.ndim !== 4 || residual.shape.some((d, i) => d !== x.shape[i]))) {
    throw new Error(
      `batchNorm2d: residual must have the input's shape ${formatShape(x.shape)}, got ${formatShape(residual.shape)}`,
    );
  }
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  if (!(eps >= 0)) throw new Error(`batchNorm2d: eps must be >= 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm2d: momentum must be in [0, 1], got ${momentum}`);
  const relu = options.relu ?? false;
  const s: BatchNormShape = { n, c, hw: h * w };
  if (!options.training && (!runningMean || !runningVar)) {
    throw new Error('batchNorm2d: eval mode needs the running mean and variance');
  }
  if (options.training && n * h * w <= 1) {
    throw new Error(
      `batchNorm2d: expected more than 1 value per channel in training, got input ${formatShape(x.shape)}`,
    );
  }
  if (!options.training) return evalBatchNorm(x, runningMean!, runningVar!, weight, bias, eps, relu, residual);

  return tidy(() => {
    const stats = result(backend, backend.batchNormStats(x.handle('batchNorm2d'), s), [2, c]);
    if (runningMean && runningVar) {
      noGrad(() => {
        // One kernel for both (PyTorch keeps the unbiased variance in the running average).
        const handles = [stats, runningMean, runningVar].map((t) => t.handle('batchNorm2d'));
        const [mean, variance] = backend.batchNormRunning(handles[0], handles[1], handles[2], {
          c,
          count: n * h * w,
          momentum,
        });
        // Each result is a whole buffer of its own: the running tensors take them over, no copy.
        runningMean.assign(result(backend, mean, [c]));
        runningVar.assign(result(backend, variance, [c]));
      });
    }
    const wt = weight ?? full([c], 1, { device: x.device });
    const y = applyStats(x, stats, wt, bias, eps, relu, residual);
    const affine = weight && bias ? [weight, bias] : [];
    const inputs = [x, ...affine, ...(residual ? [residual] : [])];
    return record(
      'BatchNormBackward',
      y,
      inputs,
      relu ? [x, stats, wt, y] : [x, stats, wt],
      (g, [xs, st, ws, ys], needs) => {
        const residualNeeds = residual !== null && needs[inputs.length - 1];
        const [sums, dx, dr] = backend.batchNormBackward(
          g.handle('batchNorm2d backward'),
          ys ? ys.handle('batchNorm2d backward') : null,
          xs!.handle('batchNorm2d backward'),
          st!.handle('batchNorm2d backward'),
          ws!.handle('batchNorm2d backward'),
          { ...s, eps },
          // With the ReLU fused, the residual's gradient is g masked by the output; without, g itself.
          residualNeeds && relu,
        );
        const both = result(backend, sums, [2, c]);
        const dxTensor = result(backend, dx, x.shape);
        const grads = [
          needs[0] ? dxTensor : null,
          ...(affine.length
            ? [
                needs[1] ? narrow(both, 0, 1, 1).reshape([c]) : null,
                needs[2] ? narrow(both, 0, 0, 1).reshape([c]) : null,
              ]
            : []),
          ...(residual ? [residualNeeds ? (dr ? result(backend, dr, x.shape) : g.share()) : null] : []),
        ];
        if (!needs[0]) dxTensor.dispose();
        return grads;
      },
    );
  });
}

/**
 * Eval mode: a fixed affine map per channel. Without a gradient to record
 * it is the apply kernel on the running statistics; with one (Grad-CAM
 * differentiates an eval-mode network) it is composed from differentiable
 * ops, whose gradients are then the exact ones of the affine map.
 */
function evalBatchNorm(
  x: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  relu: boolean,
  residual: Tensor | null,
): Tensor {
  const c = x.shape[1]!;
  const needsGrad = isGradEnabled() && [x, weight, bias, residual].some((t) => t?.requiresGrad);
  return tidy(() => {
    if (needsGrad) {
      const at = (t: Tensor) => t.reshape([1, c, 1, 1]);
      let y = x.sub(at(runningMean)).div(at(runningVar.add(eps).sqrt()));
      if (weight) y = y.mul(at(weight));
      if (bias) y = y.add(at(bias));
      if (residual) y = y.add(residual);
      return relu ? y.relu() : y;
    }
    const wt = weight ?? full([c], 1, { device: x.device });
    return applyStats(x, cat([runningMean, runningVar]), wt, bias, eps, relu, residual);
  });
}

/**
 * The normalizing pass of both modes: (x - mean) / sqrt(var + eps) · weight
 * + bias per channel, with stats [2, c] = [mean, var] (the batch's or the
 * running ones), plus the residual and the ReLU where fused. No autograd.
 */
function applyStats(
  x: Tensor,
  stats: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  eps: number,
  relu: boolean,
  residual: Tensor | null,
): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const bs = bias ?? full([c], 0, { device: x.device });
  const handles = [x, stats, weight, bs].map((t) => t.handle('batchNorm2d'));
  const backend = x.storage.backend;
  const y = backend.batchNormApply(
    handles[0],
    handles[1],
    handles[2],
    handles[3],
    { n, c, hw: h * w, eps, relu },
    residual?.handle('batchNorm2d'),
  );
  return result(backend, y, x.shape);
}
