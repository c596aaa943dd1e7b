import { sgdStep, type Tensor } from '@pneumo/tensor';
import { Optimizer } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** torch.optim.SGD's exact update, run in place on the parameters' device. */
export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;

  constructor(params: Iterable<Tensor>, o: SGDOptions) {
    super(params, o.lr);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    if (this.momentum < 0) throw new Error(`SGD: invalid momentum ${this.momentum}`);
    if (this.weightDecay < 0) throw new Error(`SGD: invalid weight decay ${this.weightDecay}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error('SGD: nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected hyper() {
    return {
      momentum: this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
      weight_decay: this.weightDecay,
    };
  }

  protected setHyper(h: Record<string, number | boolean>): void {
    this.momentum = h.momentum as number;
    this.dampening = h.dampening as number;
    this.nesterov = h.nesterov as boolean;
    this.weightDecay = h.weight_decay as number;
  }

  step(): void {
    for (const p of this.params) {
      if (!p.grad) continue;
      let buf: Tensor | null = null;
      let first = false;
      if (this.momentum !== 0) {
        const s = this.stateTensor(p, 'momentum_buffer');
        buf = s.t;
        first = s.fresh;
      }
      sgdStep(p, p.grad, buf, {
        lr: this.lr,
        momentum: this.momentum,
        dampening: this.dampening,
        nesterov: this.nesterov,
        weightDecay: this.weightDecay,
        firstStep: first,
      });
      this.steps.set(p, (this.steps.get(p) ?? 0) + 1);
    }
  }
}
