/**
 * `pneumo ensemble`: trained checkpoints of one recipe (seeds sharing one
 * validation split) made into one model to ship. The members' averaged
 * probabilities on the dev set choose the class-prior shift and the
 * operating point; validation (the members' held-out patients) and the dev
 * set are measured through them. The weights are written as float16, or as
 * int8 with one scale per tensor when the ensemble's probabilities on the
 * dev images stay within `maxProbabilityChange` of float32 (refused
 * otherwise).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { safetensorsToStateDict, serializeSafetensors } from '@pneumo/nn';
import { writeFileAtomic } from '@pneumo/nn/node';
import { checkpointBase, readCheckpointInfo } from './checkpoint.js';
import { type CheckpointInfo, emptyModel } from './checkpoint-format.js';
import { type DevSet, loadDevSet } from './data/dev-set.js';
import { loadImages } from './data/load.js';
import { runSplit } from './data/run-split.js';
import { Ensemble } from './ensemble.js';
import { loadModel } from './evaluate.js';
import { checkpointProbs } from './infer.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { applyPriorShift, fitPriorShift } from './prior-shift.js';
import { chooseOperatingPoint } from './uncertainty.js';

export type WeightsDtype = 'F32' | 'F16' | 'I8';

export interface EnsembleOptions {
  /** The members' checkpoints (at least 2). */
  members: string[];
  /** The training data root (for the validation patients and the check that the dev set was never trained on). */
  data: string;
  /** The dev set of other patients (its test/ split). */
  selectOn: string;
  /** Output base path: BASE.safetensors + BASE.json. */
  out: string;
  dtype?: WeightsDtype;
  targetSensitivity?: number;
  /** Largest change of any class probability on the dev images that int8 storage may cause (default 0.01). */
  maxProbabilityChange?: number;
  provenance?: Record<string, unknown>;
}

/** What must agree between members for their probabilities to be averaged on one input. */
const SHARED = ['architecture', 'resnet', 'mode', 'outputs', 'inputSize', 'fit', 'contrast', 'tta'] as const;

export async function buildEnsemble(
  o: EnsembleOptions,
  log: (line: string) => void = () => {},
): Promise<{
  info: CheckpointInfo;
  weights: string;
  manifest: string;
  bytes: number;
  dev: Metrics;
  validation: Metrics;
}> {
  if (o.members.length < 2) throw new Error(`an ensemble needs at least 2 member checkpoints, got ${o.members.length}`);
  const infos = o.members.map((m) => readCheckpointInfo(m));
  checkMembers(o.members, infos);
  const first = infos[0]!;
  const k = first.classes.length;
  const { dev, val, splitSeed, valFraction } = ensembleData(o, first);
  log(
    `members: ${o.members.length}; dev set ${dev.root} (${dev.indices.length} images); validation patients: ${val.records.length} images`,
  );

  const loaded = o.members.map((m) => loadModel(m).model);
  const model = new Ensemble(loaded, k);
  try {
    const base = { ...first, members: o.members.length, priorShift: undefined, operatingPoint: undefined };
    // The weights as they will ship: everything below is chosen and measured on them.
    const dtype = o.dtype ?? 'F16';
    const { bytes, shipped } = await shippedWeights(model, base as CheckpointInfo, dtype);
    const raw = await checkpointProbs(shipped, base, dev.loaded.pixels, dev.indices);
    const full = await checkpointProbs(model, base, dev.loaded.pixels, dev.indices);
    let change = 0;
    for (let i = 0; i < raw.length; i++) change = Math.max(change, Math.abs(raw[i]! - full[i]!));
    const limit = o.maxProbabilityChange ?? 0.01;
    log(
      `${dtype} weights: ${(bytes.byteLength / 1e6).toFixed(1)} MB; largest change of a dev-set probability against float32: ${change.toExponential(2)}`,
    );
    if (dtype === 'I8' && change > limit) {
      shipped.dispose();
      throw new Error(
        `int8 weights change a dev-set probability by ${change.toFixed(4)}, more than ${limit}: store them as float16`,
      );
    }
    const { priorShift, operatingPoint, devMetrics } = chooseOnDev(raw, dev, first.classes, o.targetSensitivity);
    const decided = { ...base, priorShift, operatingPoint };
    const valProbs = await checkpointProbs(
      shipped,
      decided,
      val.pixels,
      val.records.map((_, i) => i),
    );
    const valMetrics = computeMetrics(valProbs, val.labels, first.classes, { operatingPoint, intervals: true });
    shipped.dispose();

    const outBase = checkpointBase(o.out);
    const name = `${basename(outBase)}.safetensors`;
    const info = ensembleManifest(o, infos, {
      dev,
      weights: { file: name, bytes },
      decided: { priorShift, operatingPoint },
      metrics: { validation: valMetrics, dev: devMetrics },
      dtype,
      change,
      split: { splitSeed, valFraction },
    });
    mkdirSync(dirname(outBase), { recursive: true });
    writeFileAtomic(`${outBase}.safetensors`, bytes);
    writeFileAtomic(`${outBase}.json`, `${JSON.stringify(info, null, 1)}\n`);
    return {
      info,
      weights: `${outBase}.safetensors`,
      manifest: `${outBase}.json`,
      bytes: bytes.byteLength,
      dev: devMetrics,
      validation: valMetrics,
    };
  } finally {
    model.dispose();
  }
}

/** Members must share the recipe's input, classes, validation split and training files, and none may be an ensemble. */
function checkMembers(members: string[], infos: CheckpointInfo[]): void {
  const first = infos[0]!;
  infos.forEach((info, i) => {
    if (info.members) throw new Error(`${members[i]} is already an ensemble: give its members instead`);
    for (const key of SHARED) {
      if (JSON.stringify(info[key] ?? null) !== JSON.stringify(first[key] ?? null))
        throw new Error(
          `${members[i]} differs from ${members[0]} in ${key}: members must share the recipe's input and classes`,
        );
    }
    // One input normalization for all: the train statistics of one validation split.
    const n = info.normalization;
    if (Math.abs(n.mean - first.normalization.mean) > 1e-9 || Math.abs(n.std - first.normalization.std) > 1e-9) {
      throw new Error(
        `${members[i]} was trained on another validation split than ${members[0]} (its input statistics differ): train members with one --split-seed`,
      );
    }
    if (info.trainedOn?.filesSha256 !== first.trainedOn?.filesSha256)
      throw new Error(`${members[i]} was trained on other files than ${members[0]}`);
  });
}

/** The ensemble's weights serialized as they will ship, and a model loaded back from those bytes (measured instead of the float32 one). */
async function shippedWeights(model: Ensemble, info: CheckpointInfo, dtype: WeightsDtype) {
  const entries: [string, { shape: number[]; data: Float32Array | Int32Array }][] = [];
  for (const [name, t] of model.stateDict()) entries.push([name, { shape: [...t.shape], data: await t.data() }]);
  const bytes = serializeSafetensors(entries, {}, { floatDtype: dtype });
  const shipped = emptyModel(info);
  const { dict } = safetensorsToStateDict(bytes);
  shipped.loadStateDict(dict);
  for (const t of dict.values()) t.dispose();
  shipped.eval();
  return { bytes, shipped };
}

/** What the ensemble's manifest records besides its members' shared facts. */
interface EnsembleFacts {
  dev: DevSet;
  weights: { file: string; bytes: Uint8Array };
  decided: Pick<CheckpointInfo, 'priorShift' | 'operatingPoint'>;
  metrics: { validation: Metrics; dev: Metrics };
  dtype: WeightsDtype;
  /** Largest change of a dev-set probability against float32 weights. */
  change: number;
  split: { splitSeed: number; valFraction: number };
}

/** The shipped ensemble's checkpoint description: the members' recipe, what was chosen on the dev set, and where each member came from. */
function ensembleManifest(o: EnsembleOptions, infos: CheckpointInfo[], m: EnsembleFacts): CheckpointInfo {
  const first = infos[0]!;
  return {
    format: 'pneumo-checkpoint',
    version: 1,
    architecture: first.architecture,
    members: o.members.length,
    outputs: first.outputs,
    mode: first.mode,
    classes: [...first.classes],
    inputSize: first.inputSize,
    fit: first.fit,
    ...(first.contrast ? { contrast: first.contrast } : {}),
    normalization: first.normalization,
    ...(first.tta ? { tta: true } : {}),
    operatingPoint: m.decided.operatingPoint,
    priorShift: m.decided.priorShift,
    selection: {
      on: 'dev',
      data: m.dev.root,
      files: m.dev.identity.files,
      filesSha256: m.dev.identity.filesSha256,
      score: 'ensemble of the members as given',
    },
    trainedOn: first.trainedOn,
    provenance: {
      ...(o.provenance ?? {}),
      members: o.members.map((m, i) => ({
        checkpoint: m,
        epoch: infos[i]!.epoch,
        seed: infos[i]!.options?.seed,
        command: infos[i]!.provenance?.command,
      })),
      weightsDtype: m.dtype,
      maxDevProbabilityChangeVsFloat32: m.change,
    },
    epoch: Math.max(...infos.map((i) => i.epoch)),
    metrics: m.metrics,
    history: [],
    options: { splitSeed: m.split.splitSeed, seed: m.split.splitSeed, valFraction: m.split.valFraction },
    parts: {
      weights: {
        file: m.weights.file,
        bytes: m.weights.bytes.byteLength,
        sha256: createHash('sha256').update(m.weights.bytes).digest('hex'),
      },
    },
  };
}

/** The members' validation patients (recomputed from their split seed) and the dev set, loaded as the members read images. */
function ensembleData(o: EnsembleOptions, first: CheckpointInfo) {
  const options = first.options ?? {};
  const splitSeed = Number(options.splitSeed ?? options.seed);
  const valFraction = Number(options.valFraction);
  const split = runSplit(o.data, first.mode, splitSeed, valFraction);
  const view = { size: first.inputSize, fit: first.fit, contrast: first.contrast };
  const dev = loadDevSet(o.selectOn, first.mode, [...split.train, ...split.val], view);
  const val = loadImages(split.val, view);
  return { dev, val, splitSeed, valFraction };
}

/** The class-prior shift and operating point chosen on the dev set's probabilities, and the dev metrics through them. */
function chooseOnDev(raw: Float32Array, dev: DevSet, classes: readonly string[], targetSensitivity = 0.95) {
  const k = classes.length;
  const labels = Array.from(dev.loaded.labels);
  const priorShift = { logOffsets: fitPriorShift(raw, labels, k), chosenOn: dev.description };
  const probs = applyPriorShift(raw, k, priorShift.logOffsets);
  const operatingPoint = dev.bothKinds
    ? { ...chooseOperatingPoint(probs, labels, k, targetSensitivity), chosenOn: dev.description }
    : undefined;
  const devMetrics = computeMetrics(probs, labels, classes, { operatingPoint, intervals: true });
  return { priorShift, operatingPoint, devMetrics };
}
