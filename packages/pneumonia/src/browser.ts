/**
 * The browser-safe part of the app (no Node module, checked by
 * test/browser-bundle.test.ts): the blog CNN, checkpoints from bytes, the
 * exact preprocessing of the Node pipeline, prediction, Grad-CAM, and the
 * synthetic X-rays. The web app (web/) is built on it.
 */
export { CLASS_NAMES, BINARY_CLASS_NAMES, classNames, type ClassName, type TaskMode } from './classes.js';
export {
  blogCnn,
  BLOG_OUTPUTS,
  INPUT_SIZE,
  INPUT_CHANNELS,
  type BlogCnnOptions,
  ARCHITECTURES,
  type Architecture,
  RESNET_DEFAULTS,
  RESNET_INPUT_SIZE,
  modelSpec,
  buildModel,
  type ModelSpec,
} from './model.js';
export {
  DEFAULT_MAX_IMAGE_MB,
  decodeGrey,
  resizeArea,
  fitSquare,
  squareImage,
  equalize,
  clahe,
  preprocess,
  sniffFormat,
  type GreyImage,
  type Fit,
  type Contrast,
} from './data/image.js';
export { fillBatch, DEFAULT_AUGMENT, type Augment, type Normalization } from './data/batches.js';
export { renderXray, type SyntheticClass } from './data/xray-render.js';
export { checkCheckpointInfo, modelFromCheckpoint, type CheckpointInfo } from './checkpoint-format.js';
export { predictProbs, checkpointProbs, classifyImage, type ClassifyInfo } from './infer.js';
export { Ensemble, membersOf } from './ensemble.js';
export { applyPriorShift, fitPriorShift, type PriorShift } from './prior-shift.js';
export { gradCamOf, overlayRgba, type Explanation, type ExplainInfo } from './gradcam.js';
export {
  argmaxRow,
  pneumoniaScore,
  chooseOperatingPoint,
  wilson,
  calibration,
  type OperatingPoint,
} from './uncertainty.js';
