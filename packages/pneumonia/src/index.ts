export {
  CLASS_NAMES,
  BINARY_CLASS_NAMES,
  classNames,
  labelFor,
  patientId,
  type ClassName,
  type TaskMode,
} from './classes.js';
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
  type ArchitectureOptions,
} from './model.js';
export { decodeGrey, resizeArea, fitSquare, preprocess, sniffFormat, type GreyImage, type Fit } from './data/image.js';
export {
  discover,
  resolveRoot,
  patientSplit,
  EXPECTED_LAYOUT,
  SPLITS,
  type ImageRecord,
  type Skipped,
  type SplitName,
} from './data/layout.js';
export { loadImages, pixelStats, defaultCacheDir, type LoadedImages } from './data/load.js';
export { fillBatch, DEFAULT_AUGMENT, type Augment, type Normalization } from './data/batches.js';
export { writeSyntheticDataset, renderXray, encodeJpeg, encodePng, type SyntheticOptions } from './data/synthetic.js';
export { computeMetrics, formatMetrics, rocAuc, type Metrics } from './metrics.js';
export { train, type TrainOptions, type TrainResult, type EpochLog } from './train.js';
export { evaluate, predict, loadModel, type Prediction } from './evaluate.js';
export { predictProbs, checkpointProbs } from './infer.js';
export { Ensemble, membersOf } from './ensemble.js';
export { applyPriorShift, fitPriorShift, type PriorShift } from './prior-shift.js';
export { saveCheckpoint, readCheckpointInfo, type CheckpointInfo } from './checkpoint.js';
export { gradCam, overlayPng, explainToFile, type Explanation } from './explain.js';
export { writeReport, svgToPng, confusionSvg } from './report/report.js';
export { exportModel, type ExportOptions } from './export.js';
