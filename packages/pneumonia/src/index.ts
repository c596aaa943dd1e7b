/**
 * The app for Node: everything the browser part has (browser.ts), plus
 * datasets on disk, training, evaluation, checkpoints as files, Grad-CAM
 * images and reports.
 */
export * from './browser.js';
export { labelFor, patientId } from './classes.js';
export type { ArchitectureOptions } from './model.js';
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
export { writeSyntheticDataset, encodeJpeg, encodePng, type SyntheticOptions } from './data/synthetic.js';
export { computeMetrics, formatMetrics, rocAuc, type Metrics } from './metrics.js';
export { train, type TrainOptions, type TrainResult, type EpochLog } from './train.js';
export { evaluate, predict, loadModel, type Prediction } from './evaluate.js';
export { saveCheckpoint, readCheckpointInfo, type CheckpointInfo } from './checkpoint.js';
export { gradCam, overlayPng, explainToFile, type Explanation } from './explain.js';
export { writeReport, svgToPng, confusionSvg } from './report/report.js';
export { exportModel, type ExportOptions } from './export.js';
