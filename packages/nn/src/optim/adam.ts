import { adamStep, type Tensor } from '@pneumo/tensor';
import { Optimizer } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** torch.optim.Adam (L2 weight decay in the gradient), bias-corrected, in place on the device. */
export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(params: Iterable<Tensor>, o: AdamOptions = {}) {
    super(params, o.lr ?? 1e-3);
    [this.beta1, this.beta2] = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? this.defaultWeightDecay();
    for (const [k, v] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`${this.constructor.name}: invalid ${k} ${v}`);
    }
    if (!(this.eps >= 0)) throw new Error(`${this.constructor.name}: invalid eps ${this.eps}`);
  }

  protected defaultWeightDecay(): number {
    return 0;
  }

  protected hyper() {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weight_decay: this.weightDecay };
  }

  protected setHyper(h: Record<string, number | boolean>): void {
    this.beta1 = h.beta1 as number;
    this.beta2 = h.beta2 as number;
    this.eps = h.eps as number;
    this.weightDecay = h.weight_decay as number;
  }

  step(): void {
    for (const p of this.params) {
      if (!p.grad) continue;
      const m = this.stateTensor(p, 'exp_avg').t;
      const v = this.stateTensor(p, 'exp_avg_sq').t;
      const step = (this.steps.get(p) ?? 0) + 1;
      this.steps.set(p, step);
      adamStep(p, p.grad, m, v, {
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: this.weightDecay,
        decoupled: this.decoupled,
        step,
      });
    }
  }
}

/** torch.optim.AdamW: decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  protected override defaultWeightDecay(): number {
    return 0.01;
  }
}
