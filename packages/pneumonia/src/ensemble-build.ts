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
import { loadDevSet } from './data/dev-set.js';
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
  const first = infos[0]!;
  infos.forEach((info, i) => {
    if (info.members) throw new Error(`${o.members[i]} is already an ensemble: give its members instead`);
    for (const key of SHARED) {
      if (JSON.stringify(info[key] ?? null) !== JSON.stringify(first[key] ?? null))
        throw new Error(
          `${o.members[i]} differs from ${o.members[0]} in ${key}: members must share the recipe's input and classes`,
        );
    }
    // One input normalization for all: the train statistics of one validation split.
    const n = info.normalization;
    if (Math.abs(n.mean - first.normalization.mean) > 1e-9 || Math.abs(n.std - first.normalization.std) > 1e-9) {
      throw new Error(
        `${o.members[i]} was trained on another validation split than ${o.members[0]} (its input statistics differ): train members with one --split-seed`,
      );
    }
    if (info.trainedOn?.filesSha256 !== first.trainedOn?.filesSha256)
      throw new Error(`${o.members[i]} was trained on other files than ${o.members[0]}`);
  });
  const options = first.options ?? {};
  const splitSeed = Number(options.splitSeed ?? options.seed);
  const valFraction = Number(options.valFraction);
  const k = first.classes.length;
  const split = runSplit(o.data, first.mode, splitSeed, valFraction);
  const dev = loadDevSet(o.selectOn, first.mode, [...split.train, ...split.val], {
    size: first.inputSize,
    fit: first.fit,
    contrast: first.contrast,
  });
  const val = loadImages(split.val, { size: first.inputSize, fit: first.fit, contrast: first.contrast });
  log(
    `members: ${o.members.length}; dev set ${dev.root} (${dev.indices.length} images); validation patients: ${val.records.length} images`,
  );

  const loaded = o.members.map((m) => loadModel(m).model);
  const model = new Ensemble(loaded, k);
  try {
    const base = { ...first, members: o.members.length, priorShift: undefined, operatingPoint: undefined };
    // The weights as they will ship: everything below is chosen and measured on them.
    const dtype = o.dtype ?? 'F16';
    const entries: [string, { shape: number[]; data: Float32Array | Int32Array }][] = [];
    for (const [name, t] of model.stateDict()) entries.push([name, { shape: [...t.shape], data: await t.data() }]);
    const bytes = serializeSafetensors(entries, {}, { floatDtype: dtype });
    const shipped = emptyModel(base as CheckpointInfo);
    const { dict } = safetensorsToStateDict(bytes);
    shipped.loadStateDict(dict);
    for (const t of dict.values()) t.dispose();
    shipped.eval();
    const devLabels = Array.from(dev.loaded.labels);
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
    const priorShift = { logOffsets: fitPriorShift(raw, devLabels, k), chosenOn: dev.description };
    const devProbs = applyPriorShift(raw, k, priorShift.logOffsets);
    const operatingPoint = dev.bothKinds
      ? { ...chooseOperatingPoint(devProbs, devLabels, k, o.targetSensitivity ?? 0.95), chosenOn: dev.description }
      : undefined;
    const decided = { ...base, priorShift, operatingPoint };
    const devMetrics = computeMetrics(devProbs, devLabels, first.classes, { operatingPoint, intervals: true });
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
    const info: CheckpointInfo = {
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
      operatingPoint,
      priorShift,
      selection: {
        on: 'dev',
        data: dev.root,
        files: dev.identity.files,
        filesSha256: dev.identity.filesSha256,
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
        weightsDtype: dtype,
        maxDevProbabilityChangeVsFloat32: change,
      },
      epoch: Math.max(...infos.map((i) => i.epoch)),
      metrics: { validation: valMetrics, dev: devMetrics },
      history: [],
      options: { splitSeed, seed: splitSeed, valFraction },
      parts: {
        weights: { file: name, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') },
      },
    };
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
