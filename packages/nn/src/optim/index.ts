export { Optimizer, type OptimizerState } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { clipGradNorm } from './clip.js';
export {
  LRScheduler,
  StepLR,
  MultiStepLR,
  CosineAnnealingLR,
  OneCycleLR,
  ReduceLROnPlateau,
  type OneCycleOptions,
  type PlateauOptions,
} from './scheduler.js';
export { EMA } from './ema.js';
