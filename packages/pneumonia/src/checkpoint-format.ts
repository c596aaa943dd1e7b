/**
 * What a checkpoint is, independent of where its bytes come from (files in
 * Node, a file picker or a URL in the browser): the JSON description and
 * the safetensors weights, turned into a ready model.
 */
import { checkResNetConfig, type DeviceName, type Module, type ResNetConfig, safetensorsToStateDict } from '@pneumo/nn';
import type { TaskMode } from './classes.js';
import type { Normalization } from './data/batches.js';
import { type Contrast, CONTRASTS, type Fit, FITS } from './data/image.js';
import type { OperatingPoint } from './uncertainty.js';
import type { PriorShift } from './prior-shift.js';
import { ARCHITECTURES, type Architecture, buildModel, INPUT_SIZE } from './model.js';
import { Ensemble } from './ensemble.js';

/** One file of a checkpoint set, as its manifest records it. */
export interface CheckpointPart {
  file: string;
  bytes: number;
  sha256: string;
}

export interface CheckpointInfo {
  format: 'pneumo-checkpoint';
  version: 1;
  architecture: Architecture;
  /** The ResNet's configuration (architecture 'resnet' only). */
  resnet?: ResNetConfig;
  /** A seed ensemble of this many networks (weights `members.<i>.…`); absent: one. */
  members?: number;
  outputs: number;
  mode: TaskMode;
  classes: string[];
  inputSize: number;
  fit: Fit;
  /** Contrast normalization before the downsample (absent: 'none', as checkpoints before it). */
  contrast?: Contrast;
  normalization: Normalization;
  /**
   * Test-time augmentation: predictions are the mean of the probabilities
   * over TTA_VIEWS of the image (the operating point and the validation
   * metrics were computed so). Absent: one view.
   */
  tta?: boolean;
  /** Pneumonia vs normal at a threshold chosen on validation or a dev set (absent: the argmax decides). */
  operatingPoint?: OperatingPoint;
  /** The class-prior shift predictions go through (chosen on a dev set; absent: none). */
  priorShift?: PriorShift;
  /** What chose the epoch, the prior shift and the operating point when it was not the validation split. */
  selection?: { on: 'dev'; data?: string; files?: number; filesSha256?: string; score: string };
  /** What the weights were trained on: 'synthetic' images are for tests and demos, not for X-rays of people. */
  trainedOn?: { kind: 'synthetic' | 'real'; data?: string; files?: number; filesSha256?: string };
  /** How the weights were made (the command, its options), for a shipped model. */
  provenance?: Record<string, unknown>;
  epoch: number;
  metrics: Record<string, unknown>;
  history: Record<string, unknown>[];
  optimizer?: { type: string; hyper: Record<string, number | boolean>; steps: number[] };
  scheduler?: Record<string, unknown>;
  rng?: number[];
  best?: { epoch: number; score: number };
  options?: Record<string, unknown>;
  /** The set's files (checkpoints written before manifests have none: `<base>.safetensors`). */
  parts?: { weights: CheckpointPart; optimizer?: CheckpointPart };
}

/** Checks a parsed checkpoint description; `name` says where it came from in errors. */
export function checkCheckpointInfo(value: unknown, name: string): CheckpointInfo {
  const info = value as Partial<CheckpointInfo> | null;
  if (!info || typeof info !== 'object' || info.format !== 'pneumo-checkpoint')
    throw new Error(`${name} is not a pneumo checkpoint`);
  if (!ARCHITECTURES.includes(info.architecture as Architecture))
    throw new Error(`${name}: unknown architecture '${String(info.architecture)}'`);
  const n = info.normalization;
  const ok =
    Array.isArray(info.classes) &&
    info.classes.length >= 2 &&
    Number.isInteger(info.outputs) &&
    info.outputs! >= info.classes.length &&
    Number.isInteger(info.inputSize) &&
    info.inputSize! > 0 &&
    FITS.includes(info.fit as Fit) &&
    (info.contrast === undefined || CONTRASTS.includes(info.contrast)) &&
    (info.tta === undefined || typeof info.tta === 'boolean') &&
    (info.members === undefined || (Number.isInteger(info.members) && info.members >= 2 && info.members <= 16)) &&
    (info.priorShift === undefined ||
      (Array.isArray(info.priorShift.logOffsets) &&
        info.priorShift.logOffsets.length === info.classes.length &&
        info.priorShift.logOffsets.every(Number.isFinite))) &&
    (info.operatingPoint === undefined ||
      (Number.isFinite(info.operatingPoint.threshold) &&
        info.operatingPoint.threshold >= 0 &&
        info.operatingPoint.threshold <= 1)) &&
    !!n &&
    Number.isFinite(n.mean) &&
    Number.isFinite(n.std) &&
    n.std > 0;
  if (!ok)
    throw new Error(
      `${name}: the checkpoint description is incomplete or invalid (classes, outputs, inputSize, fit, contrast, tta, members, operatingPoint, priorShift, normalization)`,
    );
  checkArchitecture(info, name);
  return info as CheckpointInfo;
}

/** The network's own fields agree with the description's (a ResNet built for another input or class count would load and then fail). */
function checkArchitecture(info: Partial<CheckpointInfo>, name: string): void {
  if (info.architecture === 'blog-cnn') {
    if (info.inputSize !== INPUT_SIZE || info.resnet !== undefined)
      throw new Error(
        `${name}: a blog-CNN checkpoint takes ${INPUT_SIZE}x${INPUT_SIZE} input and has no ResNet configuration`,
      );
    return;
  }
  const r = info.resnet;
  if (!r || typeof r !== 'object') throw new Error(`${name}: a ResNet checkpoint needs its configuration ('resnet')`);
  try {
    checkResNetConfig(r);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  if (r.inputSize !== info.inputSize || r.classes !== info.outputs) {
    throw new Error(
      `${name}: the ResNet configuration (input ${r.inputSize}, ${r.classes} classes) disagrees with the description (input ${info.inputSize}, ${info.outputs} outputs)`,
    );
  }
}

/** The model a checkpoint describes, before its weights are loaded: one network or an ensemble of them. */
export function emptyModel(info: CheckpointInfo, device?: DeviceName): Module {
  const one = () =>
    buildModel(
      { architecture: info.architecture, inputSize: info.inputSize, outputs: info.outputs, resnet: info.resnet },
      { device },
    );
  if (!info.members) return one();
  return new Ensemble(Array.from({ length: info.members }, one), info.classes.length);
}

/** The model of a checkpoint, with its weights loaded, in eval mode. */
export function modelFromCheckpoint(info: CheckpointInfo, weights: Uint8Array, device?: DeviceName): Module {
  const model = emptyModel(info, device);
  const { dict } = safetensorsToStateDict(weights, device);
  try {
    model.loadStateDict(dict);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const t of dict.values()) t.dispose();
  }
  model.eval();
  return model;
}
