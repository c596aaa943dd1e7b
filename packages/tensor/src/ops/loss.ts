import { record } from '../autograd.js';
import type { Backend } from '../backend/backend.js';
import { formatShape, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { floatInputs, result } from './util.js';

export interface CrossEntropyOptions {
  /** A weight per class, [classes]. */
  weight?: Tensor | null;
  /** 'mean' (default; the weighted mean when `weight` is given), 'sum' or 'none'. */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Refuses labels known (from their upload) to fall outside [0, classes).
 * Labels a kernel computed have no known range; the loss kernel turns an
 * out-of-range one into NaN rather than read outside the row.
 */
export function checkLabelRange(op: string, labels: Tensor, classes: number): void {
  const storage = labels.storageFor(op);
  const range = storage.intRange;
  if (!range || storage.size !== labels.size) return;
  const bad = range[0] < 0 ? range[0] : range[1] >= classes ? range[1] : null;
  if (bad !== null)
    throw new Error(
      `${op}: label ${bad} is out of range for ${classes} classes (labels must be in [0, ${classes - 1}])`,
    );
}

/** Elements c, c + 2, c + 4, … of a tensor of interleaved pairs, as `shape`. */
function column(backend: Backend, pairs: Tensor, c: number, shape: number[]): Tensor {
  const n = numel(shape);
  return result(backend, backend.unary('copy', pairs.handle('crossEntropy'), [n], [2], 0, c), shape);
}

/**
 * Softmax cross-entropy of logits [batch, classes] against int32 class
 * indices [batch], fused and numerically stable, like
 * torch.nn.functional.cross_entropy.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const weight = options.weight ?? null;
  const reduction = options.reduction ?? 'mean';
  const backend = weight ? floatInputs('crossEntropy', logits, weight) : floatInputs('crossEntropy', logits);
  if (!(labels instanceof Tensor)) throw new Error('crossEntropy: labels must be an int32 Tensor of class indices');
  labels.storageFor('crossEntropy');
  if (labels.dtype !== 'int32')
    throw new Error(`crossEntropy: labels must be int32 class indices, got ${labels.dtype}`);
  if (labels.device !== logits.device)
    throw new Error(`crossEntropy: logits on ${logits.device}, labels on ${labels.device}`);
  if (logits.ndim !== 2)
    throw new Error(`crossEntropy: expected logits [batch, classes], got shape ${formatShape(logits.shape)}`);
  const [rows, cols] = logits.shape as [number, number];
  if (labels.ndim !== 1 || labels.shape[0] !== rows) {
    throw new Error(
      `crossEntropy: labels of shape ${formatShape(labels.shape)} do not match logits ${formatShape(logits.shape)} (expected [${rows}])`,
    );
  }
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== cols)) {
    throw new Error(`crossEntropy: weight must have shape [${cols}], got ${formatShape(weight.shape)}`);
  }
  checkLabelRange('crossEntropy', labels, cols);
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`crossEntropy: unknown reduction '${reduction}'`);

  // Per row [weighted loss, weight]; an out-of-range label gives a NaN loss.
  const pairs = result(
    backend,
    backend.crossEntropy(
      logits.handle('crossEntropy'),
      labels.handle('crossEntropy'),
      weight ? weight.handle('crossEntropy') : null,
      rows,
      cols,
    ),
    [rows, 2],
  );
  let y: Tensor;
  let norm: Tensor | null = null;
  if (reduction === 'none') {
    y = column(backend, pairs, 0, [rows]);
  } else {
    const sums = pairs.sum(0);
    const total = column(backend, sums, 0, []);
    if (reduction === 'sum') {
      y = total;
    } else {
      // PyTorch's weighted mean: divide by the summed weights of the labels.
      norm = column(backend, sums, 1, []);
      y = total.div(norm);
      total.dispose();
    }
    sums.dispose();
  }
  pairs.dispose();
  const saved = [logits, labels, ...(norm ? [norm] : []), ...(weight ? [weight] : [])];
  const out = record('CrossEntropyBackward', y, [logits], saved, (g, s) => {
    const [x, lab] = s as [Tensor, Tensor];
    const nrm = norm ? s[2]! : null;
    const w = weight ? s[s.length - 1]! : null;
    const scale = nrm ? g.div(nrm) : g.share();
    const h = backend.crossEntropyBackward(
      x.handle('crossEntropy backward'),
      lab.handle('crossEntropy backward'),
      w ? w.handle('crossEntropy backward') : null,
      scale.handle('crossEntropy backward'),
      rows,
      cols,
      reduction === 'none',
    );
    return [result(backend, h, [rows, cols])];
  });
  norm?.dispose();
  return out;
}
