import { indexSelect, type Tensor, tensor } from '@pneumo/tensor';
import type { Batch, Dataset } from './data-loader.js';

/**
 * A batch of a TensorDataset: the rows of each tensor, in the order given,
 * as an array; `input` and `target` name the first two (what `fit` reads).
 */
export type TensorBatch = Tensor[] & Batch;

/**
 * torch.utils.data.TensorDataset: items are the rows (first dimension) of
 * tensors that share that dimension, e.g. `new TensorDataset(images,
 * labels)` with float32 images [N, ...] and int32 labels [N]. A batch is
 * gathered on the tensors' device (indexSelect), so a DataLoader over it
 * feeds `fit` directly. The dataset holds the tensors, it does not own them.
 */
export class TensorDataset implements Dataset<TensorBatch> {
  readonly tensors: readonly Tensor[];
  readonly length: number;

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: give at least one tensor');
    const first = tensors[0]!;
    tensors.forEach((t, i) => {
      if (t.ndim === 0)
        throw new Error(`TensorDataset: tensor ${i} is a scalar; every tensor needs a first dimension of items`);
      if (t.shape[0] !== first.shape[0]) {
        throw new Error(
          `TensorDataset: tensor ${i} has ${t.shape[0]} items (shape [${t.shape.join(', ')}]), tensor 0 has ${first.shape[0]}: the first dimensions must match`,
        );
      }
      if (t.device !== first.device)
        throw new Error(`TensorDataset: tensor ${i} is on ${t.device}, tensor 0 on ${first.device}`);
    });
    this.tensors = tensors;
    this.length = first.shape[0]!;
  }

  batch(indices: readonly number[]): TensorBatch {
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= this.length)
        throw new Error(`TensorDataset: item ${i} is out of range for ${this.length} items`);
    }
    const index = tensor(Int32Array.from(indices), { shape: [indices.length], device: this.tensors[0]!.device });
    const parts = this.tensors.map((t) => indexSelect(t, 0, index));
    index.dispose();
    return Object.assign(parts, { input: parts[0]!, target: parts[1] ?? parts[0]! });
  }
}
