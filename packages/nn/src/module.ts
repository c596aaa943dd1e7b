import { formatShape, noGrad, type Tensor, tidy } from '@pneumo/tensor';

/**
 * Base class of layers and models, like torch.nn.Module: parameters,
 * buffers and child modules are registered under names, which give the
 * PyTorch-compatible state-dict keys (`0.weight`, `fc1.bias`, …).
 */
export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _children = new Map<string, Module>();

  /** The layer's computation. */
  abstract forward(x: Tensor): Tensor;

  /** Same as forward (modules are called like functions in PyTorch). */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }

  protected registerParameter(name: string, t: Tensor | null): Tensor | null {
    if (t) {
      t.requiresGrad = true;
    }
    this._params.set(name, t);
    return t;
  }

  protected registerBuffer(name: string, t: Tensor): Tensor {
    this._buffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    if (!(m instanceof Module)) throw new Error(`registerModule('${name}'): expected a Module`);
    this._children.set(name, m);
    return m;
  }

  /** Replaces a registered parameter or buffer tensor (used when loading weights). */
  protected setTensor(name: string, t: Tensor): void {
    if (this._params.has(name)) this._params.set(name, t);
    else if (this._buffers.has(name)) this._buffers.set(name, t);
    else throw new Error(`no parameter or buffer named '${name}'`);
  }

  /** A registered parameter or buffer by local name. */
  protected tensor(name: string): Tensor | null {
    return this._params.get(name) ?? this._buffers.get(name) ?? null;
  }

  *namedChildren(): Generator<[string, Module]> {
    yield* this._children.entries();
  }

  children(): Module[] {
    return [...this._children.values()];
  }

  /** Every module below and including this one, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this._children) yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  /** Parameters with PyTorch's dotted names, in registration order. */
  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    for (const [name, p] of this._params) if (p) yield [prefix ? `${prefix}.${name}` : name, p];
    for (const [name, child] of this._children) yield* child.namedParameters(prefix ? `${prefix}.${name}` : name);
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    for (const [name, b] of this._buffers) yield [prefix ? `${prefix}.${name}` : name, b];
    for (const [name, child] of this._children) yield* child.namedBuffers(prefix ? `${prefix}.${name}` : name);
  }

  /** Number of parameter elements. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * Parameters and buffers by PyTorch key, in PyTorch's order (each
   * module's parameters, then its buffers, then its children). The tensors
   * are the module's own: copy them to keep values across updates.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const walk = (m: Module, prefix: string) => {
      for (const [name, p] of m._params) if (p) out.set(prefix + name, p);
      for (const [name, b] of m._buffers) out.set(prefix + name, b);
      for (const [name, c] of m._children) walk(c, `${prefix}${name}.`);
    };
    walk(this, '');
    return out;
  }

  /**
   * Copies values from `dict` (key -> tensor or plain values) into the
   * module's tensors. With `strict` (default) missing or unexpected keys are
   * an error; shape mismatches always are.
   */
  loadStateDict(
    dict: Map<string, Tensor> | Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): { missing: string[]; unexpected: string[] } {
    const strict = options.strict ?? true;
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new Error(`loadStateDict: ${parts.join('; ')}`);
    }
    const mismatched: string[] = [];
    for (const [key, target] of own) {
      const src = entries.get(key);
      if (!src) continue;
      if (src.shape.length !== target.shape.length || src.shape.some((d, i) => d !== target.shape[i])) {
        mismatched.push(`${key}: expected ${formatShape(target.shape)}, got ${formatShape(src.shape)}`);
      } else if (src.dtype !== target.dtype) {
        mismatched.push(`${key}: expected ${target.dtype}, got ${src.dtype}`);
      }
    }
    if (mismatched.length > 0) throw new Error(`loadStateDict: shape mismatch for ${mismatched.join('; ')}`);
    noGrad(() => {
      for (const [key, target] of own) {
        const src = entries.get(key);
        if (!src) continue;
        // A copy on the module's device, so the caller keeps its tensor.
        const copy = tidy(() => (src.device === target.device ? src.clone() : null));
        if (copy) target.assign(copy);
        else
          throw new Error(
            `loadStateDict: ${key} is on ${src.device}, the module on ${target.device}; move it first with await t.to('${target.device}')`,
          );
        copy.dispose();
      }
    });
    return { missing, unexpected };
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const t of this.stateDict().values()) t.dispose();
  }

  /** PyTorch-style one-line description of the layer. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const name = this.constructor.name;
    if (this._children.size === 0) return `${name}(${this.extraRepr()})`;
    const lines = [...this._children].map(([k, c]) => `  (${k}): ${c.toString().replace(/\n/g, '\n  ')}`);
    return `${name}(\n${lines.join('\n')}\n)`;
  }
}
