/**
 * A seed ensemble of networks of one architecture: the prediction is the mean of the members'
 * class probabilities (each member's softmax over the first `classes`
 * outputs, as a single model's prediction is). forward() returns the log
 * of that mean, so anything that takes the softmax of a model's first
 * `classes` outputs (predictProbs) reads the ensemble's probabilities. The
 * state-dict keys are `members.<i>.<member key>`.
 */
import { add, log, Module, mul, narrow, type Tensor, tidy } from '@pneumo/nn';

export class Ensemble extends Module {
  readonly members: readonly Module[];

  constructor(
    members: readonly Module[],
    readonly classes: number,
  ) {
    super();
    if (members.length < 2) throw new Error(`an ensemble needs at least 2 members, got ${members.length}`);
    this.members = members;
    members.forEach((m, i) => this.registerModule(`members.${i}`, m));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let sum: Tensor | null = null;
      for (const m of this.members) {
        const p = narrow(m.forward(x), 1, 0, this.classes).softmax();
        sum = sum ? add(sum, p) : p;
      }
      return log(mul(sum!, 1 / this.members.length));
    });
  }
}

/** The members of a model: the ensemble's, or the model itself. */
export const membersOf = (model: Module): readonly Module[] => (model instanceof Ensemble ? model.members : [model]);
