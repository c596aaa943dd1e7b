import { Generator, type Tensor } from '@pneumo/tensor';

/** What a DataLoader reads: a length, and a batch made from item indices. */
export interface Dataset<B> {
  readonly length: number;
  /**
   * The batch of items `indices` (in that order). `rng` is the loader's
   * generator, for random augmentation drawn in a reproducible order.
   */
  batch(indices: readonly number[], rng: Generator): B;
}

export interface DataLoaderOptions {
  batchSize: number;
  /** A new random order every epoch (default true). */
  shuffle?: boolean;
  /** Drop the last batch when it is short (default false); a dataset smaller than one batch still gives that one batch. */
  dropLast?: boolean;
  /** The generator for the order and for the dataset's augmentation (default: seeded with 0). */
  generator?: Generator;
  /**
   * Per-item sampling weights (torch's WeightedRandomSampler): each epoch
   * draws `dataset.length` items with replacement, item i with probability
   * weights[i] / Σ weights, e.g. 1 / (its class's count) for classes seen
   * equally often. Replaces the shuffle.
   */
  weights?: ArrayLike<number>;
}

/**
 * Batches of a dataset, epoch after epoch, like torch.utils.data.DataLoader:
 * shuffled by a seeded generator, batched, optionally dropping the short
 * last batch. Iterating gives one epoch. Batches are made one at a time as
 * they are asked for, so a loop that asks for the next batch right after
 * submitting a step (as `fit` does) prepares it on the CPU while the GPU
 * works.
 */
export class DataLoader<B> implements Iterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  /** Running sums of the sampling weights (null: every item once per epoch). */
  private readonly cumulative: Float64Array | null;

  constructor(
    readonly dataset: Dataset<B>,
    o: DataLoaderOptions,
  ) {
    if (!Number.isInteger(o.batchSize) || o.batchSize <= 0)
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${o.batchSize}`);
    if (!Number.isInteger(dataset.length) || dataset.length < 0)
      throw new Error(`DataLoader: the dataset's length must be a whole number, got ${dataset.length}`);
    this.batchSize = o.batchSize;
    this.shuffle = o.shuffle ?? true;
    this.dropLast = o.dropLast ?? false;
    this.generator = o.generator ?? new Generator(0);
    this.cumulative = o.weights ? cumulativeWeights(o.weights, dataset.length) : null;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    if (n === 0) return 0;
    const whole = Math.floor(n / this.batchSize);
    return this.dropLast ? Math.max(1, whole) : Math.ceil(n / this.batchSize);
  }

  /** The item order of the next epoch, in batches (draws from the generator when shuffling). */
  epochOrder(): number[][] {
    const all = Array.from({ length: this.dataset.length }, (_, i) => i);
    const order = this.cumulative
      ? all.map(() => drawIndex(this.cumulative!, this.generator.uniform()))
      : this.shuffle
        ? this.generator.shuffle(all)
        : all;
    return Array.from({ length: this.length }, (_, b) => order.slice(b * this.batchSize, (b + 1) * this.batchSize));
  }

  *[Symbol.iterator](): Iterator<B> {
    for (const indices of this.epochOrder()) yield this.dataset.batch(indices, this.generator);
  }
}

function cumulativeWeights(weights: ArrayLike<number>, n: number): Float64Array {
  if (weights.length !== n)
    throw new Error(`DataLoader: ${weights.length} sampling weights for a dataset of ${n} items`);
  const out = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0 && Number.isFinite(w)))
      throw new Error(`DataLoader: sampling weight ${i} is ${w}; weights must be finite and >= 0`);
    out[i] = acc += w;
  }
  if (n > 0 && !(acc > 0)) throw new Error('DataLoader: the sampling weights are all zero');
  return out;
}

/** The item whose weight interval holds u * Σ weights (binary search over the running sums). */
function drawIndex(cumulative: Float64Array, u: number): number {
  const target = u * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The usual batch: an input and a target, both disposed by the training loop after the step. */
export interface Batch {
  input: Tensor;
  target: Tensor;
}
