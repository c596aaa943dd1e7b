/**
 * Checkpoints: weights as safetensors (PyTorch keys) next to a JSON file with
 * everything else needed to predict, evaluate or resume: classes and head,
 * preprocessing and normalization, epoch, metrics, optimizer, scheduler and
 * random-generator state. Both files are written atomically.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DeviceName, Module, OptimizerState, Tensor } from '@pneumo/nn';
import { loadSafetensors, saveSafetensors } from '@pneumo/nn/node';
import { type CheckpointInfo, checkCheckpointInfo } from './checkpoint-format.js';

export type { CheckpointInfo };

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(tmp, path);
}

/** Writes <base>.safetensors, <base>.json and, with optimizer state, <base>.optimizer.safetensors. */
export async function saveCheckpoint(base: string, model: Module, info: CheckpointInfo, optimizerState?: OptimizerState): Promise<void> {
  await saveSafetensors(`${base}.safetensors`, model.stateDict(), { format: 'pt', architecture: info.architecture });
  if (optimizerState) {
    await saveSafetensors(`${base}.optimizer.safetensors`, new Map(Object.entries(optimizerState.tensors)));
  }
  writeJsonAtomic(`${base}.json`, info);
}

/** The checkpoint base path for a weights file or base ("out/best.safetensors", "out/best.json" and "out/best" all work). */
export function checkpointBase(path: string): string {
  return path.replace(/\.(optimizer\.)?safetensors$|\.json$/, '');
}

export function readCheckpointInfo(path: string): CheckpointInfo {
  const base = checkpointBase(path);
  if (!existsSync(`${base}.json`)) throw new Error(`no checkpoint description ${base}.json next to the weights`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
  } catch (e) {
    throw new Error(`${base}.json: ${(e as Error).message}`);
  }
  return checkCheckpointInfo(parsed, `${base}.json`);
}

export function loadCheckpointWeights(path: string, model: Module, device?: DeviceName): void {
  const base = checkpointBase(path);
  const { dict } = loadSafetensors(`${base}.safetensors`, device);
  try {
    model.loadStateDict(dict);
  } finally {
    for (const t of dict.values()) t.dispose();
  }
}

export function loadOptimizerTensors(path: string, device?: DeviceName): Record<string, Tensor> {
  const base = checkpointBase(path);
  if (!existsSync(`${base}.optimizer.safetensors`)) return {};
  return Object.fromEntries(loadSafetensors(`${base}.optimizer.safetensors`, device).dict);
}
