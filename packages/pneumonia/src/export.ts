/**
 * A checkpoint made into a model to ship: weights only (no optimizer,
 * scheduler or random state), optionally as float16 (half the bytes; the
 * blog CNN's outputs move by about 1e-3 of their scale), with a manifest
 * whose weights part is the plain `<base>.safetensors` itself, so the two
 * files are the whole model.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseSafetensors, serializeSafetensors } from '@pneumo/nn';
import { writeFileAtomic } from '@pneumo/nn/node';
import { checkpointBase, checkpointWeightBytes, readCheckpointInfo } from './checkpoint.js';
import type { CheckpointInfo } from './checkpoint-format.js';

export interface ExportOptions {
  /** Store the weights as float16 (default true). */
  float16?: boolean;
  /** Added to the description's provenance (e.g. the export command). */
  provenance?: Record<string, unknown>;
}

export function exportModel(
  src: string,
  out: string,
  o: ExportOptions = {},
): { weights: string; manifest: string; bytes: number; info: CheckpointInfo } {
  const info = readCheckpointInfo(src);
  const { bytes } = checkpointWeightBytes(src);
  const file = parseSafetensors(bytes);
  const entries = [...file.tensors].map(
    ([name, e]) =>
      [name, { shape: e.shape, data: e.data }] as [string, { shape: number[]; data: Float32Array | Int32Array }],
  );
  const weights = serializeSafetensors(entries, file.metadata, { floatDtype: o.float16 === false ? 'F32' : 'F16' });
  const base = checkpointBase(out);
  mkdirSync(dirname(base), { recursive: true });
  const name = `${basename(base)}.safetensors`;
  // Training state stays behind; what a user of the model needs (and how it was made) goes.
  const { optimizer: _o, scheduler: _s, rng: _r, parts: _p, ...kept } = info;
  const shipped: CheckpointInfo = {
    ...kept,
    provenance: {
      ...(info.provenance ?? {}),
      ...(o.provenance ?? {}),
      exportedFrom: `${basename(checkpointBase(src))} (epoch ${info.epoch})`,
      weightsDtype: o.float16 === false ? 'F32' : 'F16',
    },
    parts: {
      weights: { file: name, bytes: weights.byteLength, sha256: createHash('sha256').update(weights).digest('hex') },
    },
  };
  writeFileAtomic(`${base}.safetensors`, weights);
  writeFileAtomic(`${base}.json`, `${JSON.stringify(shipped, null, 1)}\n`);
  return { weights: `${base}.safetensors`, manifest: `${base}.json`, bytes: weights.byteLength, info: shipped };
}
