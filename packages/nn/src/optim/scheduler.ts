import type { Optimizer } from './optimizer.js';

/**
 * Learning-rate schedulers with torch.optim.lr_scheduler's formulas. Call
 * step() once per epoch (OneCycleLR: once per batch), after optimizer.step().
 */
export abstract class LRScheduler {
  readonly baseLr: number;
  lastEpoch = 0;

  constructor(readonly optimizer: Optimizer) {
    this.baseLr = optimizer.lr;
  }

  /** The learning rate at `lastEpoch`. */
  protected abstract lrAt(epoch: number): number;

  step(): void {
    this.lastEpoch++;
    this.optimizer.lr = this.lrAt(this.lastEpoch);
  }

  getLastLr(): number {
    return this.optimizer.lr;
  }

  stateDict(): Record<string, unknown> {
    return { lastEpoch: this.lastEpoch, lr: this.optimizer.lr };
  }

  loadStateDict(s: Record<string, unknown>): void {
    this.lastEpoch = s.lastEpoch as number;
    this.optimizer.lr = s.lr as number;
  }
}

export class StepLR extends LRScheduler {
  constructor(
    optimizer: Optimizer,
    readonly stepSize: number,
    readonly gamma = 0.1,
  ) {
    super(optimizer);
    if (!(Number.isInteger(stepSize) && stepSize > 0))
      throw new Error(`StepLR: stepSize must be a positive integer, got ${stepSize}`);
  }

  protected lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];

  constructor(
    optimizer: Optimizer,
    milestones: number[],
    readonly gamma = 0.1,
  ) {
    super(optimizer);
    this.milestones = [...milestones].sort((a, b) => a - b);
  }

  protected lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** this.milestones.filter((m) => m <= epoch).length;
  }
}

export class CosineAnnealingLR extends LRScheduler {
  constructor(
    optimizer: Optimizer,
    readonly tMax: number,
    readonly etaMin = 0,
  ) {
    super(optimizer);
    if (!(tMax > 0)) throw new Error(`CosineAnnealingLR: tMax must be positive, got ${tMax}`);
  }

  protected lrAt(epoch: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  /** Cycle SGD's momentum / Adam's beta1 inversely to the learning rate (PyTorch's default: true). */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
}

/** The momentum-like hyper-parameter OneCycleLR cycles: SGD's momentum, Adam's beta1. */
function momentumOf(o: Optimizer): { get(): number; set(v: number): void } | null {
  const x = o as unknown as { momentum?: number; beta1?: number };
  if (typeof x.momentum === 'number') return { get: () => x.momentum!, set: (v) => (x.momentum = v) };
  if (typeof x.beta1 === 'number') return { get: () => x.beta1!, set: (v) => (x.beta1 = v) };
  return null;
}

/** torch.optim.lr_scheduler.OneCycleLR, momentum cycling included. */
export class OneCycleLR extends LRScheduler {
  private readonly phases: { end: number; start: number; stop: number; mStart: number; mStop: number }[];
  private readonly momentum: { get(): number; set(v: number): void } | null;
  readonly totalSteps: number;
  private readonly anneal: (start: number, end: number, pct: number) => number;

  constructor(optimizer: Optimizer, o: OneCycleOptions) {
    super(optimizer);
    const pct = o.pctStart ?? 0.3;
    const initial = o.maxLr / (o.divFactor ?? 25);
    const min = initial / (o.finalDivFactor ?? 1e4);
    this.totalSteps = o.totalSteps;
    if (!(Number.isInteger(o.totalSteps) && o.totalSteps > 0))
      throw new Error(`OneCycleLR: totalSteps must be a positive integer`);
    const n = o.totalSteps;
    const lo = o.baseMomentum ?? 0.85;
    const hi = o.maxMomentum ?? 0.95;
    this.phases = o.threePhase
      ? [
          { end: pct * n - 1, start: initial, stop: o.maxLr, mStart: hi, mStop: lo },
          { end: 2 * pct * n - 2, start: o.maxLr, stop: initial, mStart: lo, mStop: hi },
          { end: n - 1, start: initial, stop: min, mStart: hi, mStop: hi },
        ]
      : [
          { end: pct * n - 1, start: initial, stop: o.maxLr, mStart: hi, mStop: lo },
          { end: n - 1, start: o.maxLr, stop: min, mStart: lo, mStop: hi },
        ];
    this.momentum = o.cycleMomentum === false ? null : momentumOf(optimizer);
    if (o.cycleMomentum !== false && !this.momentum) {
      throw new Error('OneCycleLR: the optimizer has no momentum or beta1 to cycle (pass cycleMomentum: false)');
    }
    this.momentum?.set(hi);
    this.anneal =
      (o.annealStrategy ?? 'cos') === 'cos'
        ? (a, b, p) => b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1)
        : (a, b, p) => (b - a) * p + a;
    optimizer.lr = initial;
  }

  protected lrAt(step: number): number {
    if (step > this.totalSteps)
      throw new Error(`OneCycleLR: stepped ${step} times, more than totalSteps ${this.totalSteps}`);
    let start = 0;
    for (const [i, ph] of this.phases.entries()) {
      if (step <= ph.end || i === this.phases.length - 1) {
        const pct = (step - start) / (ph.end - start);
        this.momentum?.set(this.anneal(ph.mStart, ph.mStop, pct));
        return this.anneal(ph.start, ph.stop, pct);
      }
      start = ph.end;
    }
    return this.optimizer.lr;
  }
}

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

/** torch.optim.lr_scheduler.ReduceLROnPlateau: step(metric) after each validation. */
export class ReduceLROnPlateau {
  private best: number;
  private badEpochs = 0;
  private cooldownLeft = 0;
  private readonly o: Required<PlateauOptions>;

  constructor(
    readonly optimizer: Optimizer,
    options: PlateauOptions = {},
  ) {
    this.o = {
      mode: 'min',
      factor: 0.1,
      patience: 10,
      threshold: 1e-4,
      thresholdMode: 'rel',
      cooldown: 0,
      minLr: 0,
      eps: 1e-8,
      ...options,
    };
    if (!(this.o.factor < 1)) throw new Error('ReduceLROnPlateau: factor must be < 1');
    this.best = this.o.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold } = this.o;
    if (mode === 'min') return thresholdMode === 'rel' ? a < this.best * (1 - threshold) : a < this.best - threshold;
    return thresholdMode === 'rel' ? a > this.best * (1 + threshold) : a > this.best + threshold;
  }

  step(metric: number): void {
    if (this.isBetter(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else {
      this.badEpochs++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.o.patience) {
      const next = Math.max(this.optimizer.lr * this.o.factor, this.o.minLr);
      if (this.optimizer.lr - next > this.o.eps) this.optimizer.lr = next;
      this.cooldownLeft = this.o.cooldown;
      this.badEpochs = 0;
    }
  }

  getLastLr(): number {
    return this.optimizer.lr;
  }

  stateDict(): Record<string, unknown> {
    return { best: this.best, badEpochs: this.badEpochs, cooldownLeft: this.cooldownLeft, lr: this.optimizer.lr };
  }

  loadStateDict(s: Record<string, unknown>): void {
    this.best = s.best as number;
    this.badEpochs = s.badEpochs as number;
    this.cooldownLeft = s.cooldownLeft as number;
    this.optimizer.lr = s.lr as number;
  }
}
