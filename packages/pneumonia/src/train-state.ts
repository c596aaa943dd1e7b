/**
 * What a training run updates: the model, its optimizer, schedule and weight
 * averages, the epoch history and the best epoch so far; built fresh or
 * restored exactly from the `last` checkpoint, and disposed in one place.
 */
import {
  Adam,
  CosineAnnealingLR,
  EMA,
  type Generator,
  type Module,
  type Optimizer,
  SGD,
  type Tensor,
} from '@pneumo/nn';
import { loadCheckpointWeights, loadOptimizerTensors, readCheckpointInfo } from './checkpoint.js';
import type { EpochLog, TrainOptions } from './train.js';
import type { TrainSettings } from './train-settings.js';

export interface TrainingState {
  model: Module;
  opt: Optimizer;
  sched: CosineAnnealingLR;
  ema: EMA | null;
  startEpoch: number;
  history: EpochLog[];
  best: { epoch: number; score: number };
  /** Input normalization: the training pixels' statistics, or the resumed run's. */
  norm: { mean: number; std: number };
}

export function buildTrainingState(
  o: TrainOptions,
  s: TrainSettings,
  norm: { mean: number; std: number },
  model: Module,
): TrainingState {
  const opt: Optimizer =
    s.optimizer === 'sgd'
      ? new SGD(model.parameters(), { lr: s.lr, momentum: 0.9, weightDecay: s.weightDecay })
      : new Adam(model.parameters(), { lr: s.lr, weightDecay: s.weightDecay });
  return {
    model,
    opt,
    sched: new CosineAnnealingLR(opt, s.epochs, s.lr * 0.01),
    ema: o.ema ? new EMA(model.parameters(), o.ema) : null,
    startEpoch: 1,
    history: [],
    best: { epoch: 0, score: -Infinity },
    norm,
  };
}

const describe = (a: { architecture: string; inputSize: number; resnet?: unknown }) =>
  `${a.architecture} at ${a.inputSize}x${a.inputSize}${a.resnet ? ` ${JSON.stringify(a.resnet)}` : ''}`;

/** Restores weights, optimizer, averages, schedule, generator and history from `last`, so the run continues exactly. */
export function resumeTrainingState(
  o: TrainOptions,
  s: TrainSettings,
  t: TrainingState,
  rng: Generator,
  log: (line: string) => void,
): void {
  const info = readCheckpointInfo(s.lastBase);
  if (describe(info) !== describe(s.spec)) {
    throw new Error(
      `cannot resume: ${s.lastBase} is a ${describe(info)}, these options build a ${describe(s.spec)} (give the run's --arch, --input-size, --widths and --blocks again)`,
    );
  }
  loadCheckpointWeights(s.lastBase, t.model);
  const tensors = loadOptimizerTensors(s.lastBase);
  t.opt.loadStateDict({ hyper: info.optimizer!.hyper, steps: info.optimizer!.steps, tensors });
  if (t.ema) {
    const averages = t.ema.params.map((_, i) => tensors[`ema.${i}`]);
    if (averages.some((x) => x === undefined)) {
      throw new Error(`cannot resume with --ema: ${s.lastBase} has no weight averages (it was trained without --ema)`);
    }
    t.ema.loadStateDict({
      decay: o.ema!,
      updates: Number(info.options?.emaUpdates ?? 0),
      averages: averages as Tensor[],
    });
  }
  for (const x of Object.values(tensors)) x.dispose();
  t.sched.loadStateDict(info.scheduler!);
  rng.setState(info.rng!);
  t.norm = info.normalization;
  t.history = info.history as unknown as EpochLog[];
  t.best = info.best ?? t.best;
  t.startEpoch = info.epoch + 1;
  log(`resuming from ${s.lastBase} after epoch ${info.epoch}`);
}

/** Frees everything on the device a run holds (on success and on every stop). */
export function disposeTraining(t: TrainingState, classWeight: Tensor | null): void {
  t.ema?.dispose();
  t.model.dispose();
  t.opt.dispose();
  classWeight?.dispose();
}
