import { add, mul, noGrad, type Tensor, tidy } from '@pneumo/tensor';

/**
 * An exponential moving average of parameters (the weights of
 * torch.optim.swa_utils.AveragedModel with an EMA update): after each
 * optimizer step, `update()` moves every average toward its parameter,
 * avg = decay * avg + (1 - decay) * param. The averages usually validate
 * better and more smoothly than the raw weights late in training.
 *
 * `swapIn()` puts the averages into the parameters (to validate or save
 * them) until `swapOut()` restores the trained weights; optimizer steps in
 * between are refused by the bookkeeping, not silently mixed in.
 */
export class EMA {
  readonly params: Tensor[];
  decay: number;
  private averages: Tensor[];
  private saved: Tensor[] | null = null;
  private updates = 0;

  constructor(params: Iterable<Tensor>, decay = 0.999) {
    if (!(decay >= 0 && decay < 1)) throw new Error(`EMA: decay must be in [0, 1), got ${decay}`);
    this.params = [...params];
    this.decay = decay;
    // The averages start at the current weights (copies: the optimizer updates the parameters in place).
    this.averages = noGrad(() => this.params.map((p) => p.clone()));
  }

  /** One step of the average (call after optimizer.step()). */
  update(): void {
    if (this.saved) throw new Error('EMA.update: the averages are swapped in; call swapOut() first');
    const d = this.decay;
    noGrad(() => {
      this.averages.forEach((a, i) => {
        const next = tidy(() => add(mul(a, d), mul(this.params[i]!, 1 - d)));
        a.assign(next);
        next.dispose();
      });
    });
    this.updates++;
  }

  /** The parameters hold the averages until swapOut(). */
  swapIn(): void {
    if (this.saved) throw new Error('EMA.swapIn: already swapped in');
    this.saved = this.params.map((p) => p.detach());
    this.params.forEach((p, i) => p.assign(this.averages[i]!));
  }

  /** Restores the trained weights. */
  swapOut(): void {
    if (!this.saved) throw new Error('EMA.swapOut: not swapped in');
    this.params.forEach((p, i) => p.assign(this.saved![i]!));
    for (const s of this.saved) s.dispose();
    this.saved = null;
  }

  /** The averages and the update count, for a checkpoint (the tensors are the live ones: read them, do not dispose). */
  stateDict(): { decay: number; updates: number; averages: Tensor[] } {
    return { decay: this.decay, updates: this.updates, averages: this.averages };
  }

  /** Restores a stateDict() (the tensors are copied). */
  loadStateDict(s: { decay: number; updates: number; averages: Tensor[] }): void {
    if (s.averages.length !== this.params.length)
      throw new Error(`EMA.loadStateDict: ${s.averages.length} averages for ${this.params.length} parameters`);
    s.averages.forEach((a, i) => {
      if (a.shape.join() !== this.params[i]!.shape.join())
        throw new Error(`EMA.loadStateDict: average ${i} has shape [${a.shape}], parameter [${this.params[i]!.shape}]`);
    });
    this.dispose();
    this.averages = noGrad(() => s.averages.map((a) => a.clone()));
    this.decay = s.decay;
    this.updates = s.updates;
  }

  dispose(): void {
    if (this.saved) this.swapOut();
    for (const a of this.averages) a.dispose();
    this.averages = [];
  }
}
