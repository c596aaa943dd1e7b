import {
  checkLabelRange,
  crossEntropy as fusedCrossEntropy,
  type CrossEntropyOptions,
  formatShape,
  logSoftmax,
  oneHot,
  type Tensor,
  tidy,
  zerosLike,
} from '@pneumo/tensor';

export interface CrossEntropyLossOptions extends CrossEntropyOptions {
  /** PyTorch's label_smoothing: the target is (1 - s) one-hot + s / classes. */
  labelSmoothing?: number;
}

/**
 * torch.nn.functional.cross_entropy: fused and stable; with label smoothing,
 * (1 - s) * CE + s * mean over classes of -log p (weighted like PyTorch).
 */
export function crossEntropy(logits: Tensor, labels: Tensor, o: CrossEntropyLossOptions = {}): Tensor {
  const s = o.labelSmoothing ?? 0;
  if (!(s >= 0 && s <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${s}`);
  if (s === 0) return fusedCrossEntropy(logits, labels, o);
  return tidy(() => {
    const reduction = o.reduction ?? 'mean';
    const ce = fusedCrossEntropy(logits, labels, { ...o, reduction: 'none' });
    const lp = logSoftmax(logits, -1);
    const classes = logits.shape[1]!;
    // Smoothing term per row: -sum_c w_c log p_c / classes.
    const weighted = o.weight ? lp.mul(o.weight) : lp;
    const smooth = weighted.sum(1).neg().div(classes);
    const perRow = ce.mul(1 - s).add(smooth.mul(s));
    if (reduction === 'none') return perRow;
    if (reduction === 'sum') return perRow.sum();
    if (!o.weight) return perRow.mean();
    // Weighted mean: PyTorch divides by the sum of the labels' weights. With
    // all-zero logits every row's loss is exactly log(classes), so a weighted
    // sum of those gives that sum without a gather.
    if (classes < 2) throw new Error('crossEntropy: label smoothing with class weights needs at least 2 classes');
    const sumW = fusedCrossEntropy(zerosLike(logits), labels, { weight: o.weight, reduction: 'sum' }).div(
      Math.log(classes),
    );
    return perRow.sum().div(sumW);
  });
}

/** Negative log-likelihood of log-probabilities [batch, classes] and int32 labels (torch.nn.functional.nll_loss). */
export function nllLoss(logProbs: Tensor, labels: Tensor, reduction: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  if (logProbs.ndim !== 2)
    throw new Error(`nllLoss: expected log-probabilities [batch, classes], got ${formatShape(logProbs.shape)}`);
  if (labels.ndim !== 1 || labels.shape[0] !== logProbs.shape[0]) {
    throw new Error(
      `nllLoss: labels of shape ${formatShape(labels.shape)} do not match ${formatShape(logProbs.shape)}`,
    );
  }
  checkLabelRange('nllLoss', labels, logProbs.shape[1]!);
  return tidy(() => {
    // -logp[y], picked with a one-hot mask built on the device.
    const picked = logProbs.mul(oneHot(labels, logProbs.shape[1]!)).sum(1).neg();
    return reduction === 'none' ? picked : reduction === 'sum' ? picked.sum() : picked.mean();
  });
}

export function mseLoss(input: Tensor, target: Tensor, reduction: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  if (input.shape.join() !== target.shape.join()) {
    throw new Error(
      `mseLoss: input ${formatShape(input.shape)} and target ${formatShape(target.shape)} differ in shape`,
    );
  }
  return tidy(() => {
    const d = input.sub(target).pow(2);
    return reduction === 'none' ? d : reduction === 'sum' ? d.sum() : d.mean();
  });
}

/** Binary cross-entropy on logits, stable: max(x, 0) - x*y + log(1 + exp(-|x|)). */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: Tensor,
  reduction: 'mean' | 'sum' | 'none' = 'mean',
): Tensor {
  if (logits.shape.join() !== target.shape.join()) {
    throw new Error(
      `binaryCrossEntropyWithLogits: logits ${formatShape(logits.shape)} and target ${formatShape(target.shape)} differ in shape`,
    );
  }
  return tidy(() => {
    const l = logits.relu().sub(logits.mul(target)).add(logits.abs().neg().exp().add(1).log());
    return reduction === 'none' ? l : reduction === 'sum' ? l.sum() : l.mean();
  });
}
