import { keep, noGrad, type Tensor, zerosLike } from '@pneumo/tensor';

/** Hyper-parameters every optimizer has; schedulers change `lr`. */
export interface OptimizerState {
  /** Hyper-parameters, as in PyTorch's param_groups[0]. */
  hyper: Record<string, number | boolean>;
  /** Step counter per parameter index (Adam's bias correction, SGD's first momentum step). */
  steps: number[];
  /** Per-parameter state tensors by parameter index and name (PyTorch: momentum_buffer, exp_avg, exp_avg_sq). */
  tensors: Record<string, Tensor>;
}

/**
 * Base of the optimizers: one group of parameters, state tensors created on
 * first use, and a state dict that restores training exactly.
 */
export abstract class Optimizer {
  readonly params: Tensor[];
  protected readonly state = new Map<Tensor, Map<string, Tensor>>();
  protected readonly steps = new Map<Tensor, number>();

  constructor(
    params: Iterable<Tensor>,
    public lr: number,
  ) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    if (!(lr >= 0)) throw new Error(`${this.constructor.name}: invalid learning rate ${lr}`);
    for (const p of this.params) {
      if (!p.requiresGrad)
        throw new Error(`${this.constructor.name}: parameter of shape [${p.shape.join(', ')}] does not require grad`);
    }
  }

  /** Hyper-parameters other than lr, as PyTorch names them in param_groups. */
  protected abstract hyper(): Record<string, number | boolean>;
  protected abstract setHyper(h: Record<string, number | boolean>): void;

  /** Updates every parameter that has a gradient (in place, on its device). */
  abstract step(): void;

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** The named state tensor of a parameter, created as zeros on first use. */
  protected stateTensor(p: Tensor, name: string): { t: Tensor; fresh: boolean } {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = new Map()));
    const t = s.get(name);
    if (t) return { t, fresh: false };
    const z = keep(noGrad(() => zerosLike(p)));
    s.set(name, z);
    return { t: z, fresh: true };
  }

  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    this.params.forEach((p, i) => {
      for (const [name, t] of this.state.get(p) ?? []) tensors[`${i}.${name}`] = t;
    });
    return { hyper: { lr: this.lr, ...this.hyper() }, steps: this.params.map((p) => this.steps.get(p) ?? 0), tensors };
  }

  /** Restores a state from stateDict() (tensors are copied). */
  loadStateDict(s: OptimizerState): void {
    if (s.steps.length !== this.params.length) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: state for ${s.steps.length} parameters, optimizer has ${this.params.length}`,
      );
    }
    const { lr, ...rest } = s.hyper;
    this.lr = lr as number;
    this.setHyper(rest);
    for (const t of this.state.values()) for (const x of t.values()) x.dispose();
    this.state.clear();
    this.params.forEach((p, i) => {
      this.steps.set(p, s.steps[i]!);
      for (const [key, t] of Object.entries(s.tensors)) {
        const [idx, name] = [Number(key.slice(0, key.indexOf('.'))), key.slice(key.indexOf('.') + 1)];
        if (idx !== i) continue;
        if (t.shape.join() !== p.shape.join()) {
          throw new Error(
            `${this.constructor.name}.loadStateDict: ${key} has shape [${t.shape}], parameter ${i} [${p.shape}]`,
          );
        }
        const own = this.stateTensor(p, name).t;
        const copy = noGrad(() => t.clone());
        own.assign(copy);
        copy.dispose();
      }
    });
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const s of this.state.values()) for (const t of s.values()) t.dispose();
    this.state.clear();
  }
}
