import { type GradNode, runBackward } from './autograd.js';
import { backendFor } from './backend/registry.js';
import type { DeviceName, DType, TypedArray } from './dtype.js';
import { formatValues } from './format.js';
import { formatShape, numel, sameShape } from './shape.js';
import { Storage } from './storage.js';
import { keep, track, untrack } from './scope.js';

/**
 * An n-dimensional array of float32 or int32 on a device (webgpu or cpu),
 * always contiguous (row-major). Ops record themselves for autograd when an
 * input requires a gradient. Free a tensor with `dispose()` or create it
 * inside `tidy()`.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Gradient accumulated by backward (leaf tensors that require it). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, for autograd; null for leaves. */
  gradFn: GradNode | null = null;
  private _requiresGrad = false;
  private _storage: Storage | null;

  constructor(storage: Storage, shape: readonly number[], requiresGrad = false) {
    if (numel(shape) > storage.size) {
      throw new Error(`internal: shape ${formatShape(shape)} exceeds its storage of ${storage.size} elements`);
    }
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = storage.dtype;
    if (requiresGrad) this.requiresGrad = true;
    track(this);
  }

  /** Wraps a fresh backend buffer. */
  static fromHandle(device: DeviceName, handle: unknown, shape: readonly number[], dtype: DType): Tensor {
    const backend = backendFor(device);
    return new Tensor(new Storage(backend, handle, numel(shape), dtype), shape);
  }

  get device(): DeviceName {
    return this.storage.backend.name;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  get isDisposed(): boolean {
    return this._storage === null;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(v: boolean) {
    if (v && this.dtype !== 'float32')
      throw new Error(`only float32 tensors can require gradients (got ${this.dtype})`);
    if (!v && this.gradFn) throw new Error('requiresGrad can only be turned off on leaf tensors; use detach()');
    this._requiresGrad = v;
  }

  /** The storage, or an error naming `op` if this tensor was disposed. */
  storageFor(op: string): Storage {
    if (!this._storage) throw new Error(`${op}: tensor of shape ${formatShape(this.shape)} was disposed`);
    return this._storage;
  }

  get storage(): Storage {
    return this.storageFor('tensor');
  }

  /** The backend buffer, for kernels. */
  handle(op: string): unknown {
    return this.storageFor(op).handle;
  }

  /** A new tensor sharing this one's storage, without gradient history. */
  share(shape: readonly number[] = this.shape): Tensor {
    return new Tensor(this.storageFor('share').retain(), shape);
  }

  /** The same values, cut from the autograd graph (shares storage). */
  detach(): Tensor {
    return this.share();
  }

  /** Marks a leaf as requiring a gradient; returns this. */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  /** @internal Called by autograd's `record`. */
  attachGrad(node: GradNode): void {
    this.gradFn = node;
    this._requiresGrad = true;
  }

  /** @internal Adds `g` (consumed) into `.grad`. */
  accumulateGrad(g: Tensor): void {
    if (this.isDisposed) {
      g.dispose();
      return;
    }
    if (!sameShape(g.shape, this.shape)) {
      throw new Error(
        `internal: gradient of shape ${formatShape(g.shape)} for a tensor of shape ${formatShape(this.shape)}`,
      );
    }
    keep(g);
    if (!this.grad) {
      this.grad = g;
      return;
    }
    const sum = keep(this.grad.add(g));
    this.grad.dispose();
    g.dispose();
    this.grad = sum;
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that
   * requires one, accumulating into their `.grad`. Without `grad`, this
   * tensor must hold a single element (a loss).
   */
  backward(grad?: Tensor, options: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) throw new Error('backward: tensor does not require grad and has no grad_fn');
    let g: Tensor;
    if (grad) {
      if (!sameShape(grad.shape, this.shape)) {
        throw new Error(
          `backward: gradient shape ${formatShape(grad.shape)} does not match tensor shape ${formatShape(this.shape)}`,
        );
      }
      if (grad.device !== this.device)
        throw new Error(`backward: gradient on ${grad.device}, tensor on ${this.device}`);
      g = grad.share();
    } else {
      if (this.size !== 1) {
        throw new Error(
          `backward: grad can be implicitly created only for single-element tensors, got shape ${formatShape(this.shape)}`,
        );
      }
      g = Tensor.fromHandle(this.device, this.storage.backend.fill(1, 1, 'float32'), this.shape, 'float32');
    }
    keep(g);
    if (!this.gradFn) {
      this.accumulateGrad(g);
      return;
    }
    runBackward(this.gradFn, g, options.retainGraph ?? false, { add: (a, b) => a.add(b) });
  }

  /**
   * Replaces this tensor's values with `src`'s, in place and without
   * recording autograd (an optimizer's parameter update). Shares `src`'s
   * storage instead of copying; graphs that saved the old values keep them.
   */
  assign(src: Tensor): this {
    const storage = src.storageFor('assign');
    this.storageFor('assign');
    if (!sameShape(src.shape, this.shape) || src.dtype !== this.dtype || src.device !== this.device) {
      throw new Error(
        `assign: expected ${this.dtype} ${formatShape(this.shape)} on ${this.device}, got ${src.dtype} ${formatShape(src.shape)} on ${src.device}`,
      );
    }
    if (this.gradFn) throw new Error('assign: only leaf tensors can be updated in place');
    storage.retain();
    this._storage!.release();
    this._storage = storage;
    return this;
  }

  /** Drops the accumulated gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /** Copies the values to the host. */
  async data(): Promise<TypedArray> {
    const s = this.storageFor('data');
    return s.backend.read(s.handle, this.size, this.dtype);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1)
      throw new Error(
        `item: only one-element tensors can be converted to a number, got shape ${formatShape(this.shape)}`,
      );
    return (await this.data())[0]!;
  }

  /** Values as nested arrays. */
  async toArray(): Promise<unknown> {
    const values = Array.from(await this.data());
    if (this.ndim === 0) return values[0];
    const build = (dim: number, offset: number): unknown[] => {
      const size = this.shape[dim]!;
      const inner = numel(this.shape.slice(dim + 1));
      return Array.from({ length: size }, (_, i) =>
        dim === this.ndim - 1 ? values[offset + i] : build(dim + 1, offset + i * inner),
      );
    };
    return build(0, 0);
  }

  /** A copy on another device. */
  async to(device: DeviceName): Promise<Tensor> {
    const values = await this.data();
    return Tensor.fromHandle(device, backendFor(device).upload(values), this.shape, this.dtype);
  }

  /** Like PyTorch's repr, with values (needs a readback, hence async). */
  async format(): Promise<string> {
    if (this.isDisposed) return this.toString();
    const values = await this.data();
    const extra = [
      this.device !== 'cpu' ? `device='${this.device}'` : '',
      this.dtype !== 'float32' ? `dtype=${this.dtype}` : '',
      this.gradFn ? `grad_fn=<${this.gradFn.name}>` : this.requiresGrad ? 'requires_grad=True' : '',
    ].filter((s) => s !== '');
    const body = formatValues(values, this.shape, this.dtype === 'int32');
    return `tensor(${body.replace(/\n/g, '\n       ')}${extra.length ? `, ${extra.join(', ')}` : ''})`;
  }

  /** Shape, dtype and device (values need `await t.format()`: reading a GPU buffer is asynchronous). */
  toString(): string {
    if (this.isDisposed) return `Tensor(shape=${formatShape(this.shape)}, disposed)`;
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  /** Frees the storage (when no view or saved copy still uses it) and the gradient. */
  dispose(): void {
    if (!this._storage) return;
    this._storage.release();
    this._storage = null;
    untrack(this);
    this.grad?.dispose();
    this.grad = null;
    const node = this.gradFn;
    this.gradFn = null;
    node?.unref();
  }
}
