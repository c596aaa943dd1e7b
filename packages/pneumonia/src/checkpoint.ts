/**
 * Checkpoints on disk, committed as one unit. A checkpoint `<base>` (e.g.
 * runs/x/last) is a set of parts — the weights and, for `last`, the
 * optimizer state — plus `<base>.json`, the manifest: the description
 * (classes, preprocessing, epoch, metrics, schedule and random state) and,
 * for each part, its file name, size and SHA-256.
 *
 * Saving writes every part under a fresh name and fsyncs it, then replaces
 * the manifest with one atomic rename: that rename is the commit. A crash
 * before it leaves the previous set whole; after it, the new one. Only then
 * are the previous set's parts removed and `<base>.safetensors` (a hard
 * link to the weights part, for tools that want a plain file) updated.
 * Loading checks every part against the manifest, so parts of different
 * saves are never mixed. No checkpoint with a non-finite weight is written.
 */
import { createHash } from 'node:crypto';
import { existsSync, linkSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type DeviceName,
  type Module,
  type OptimizerState,
  parseSafetensors,
  serializeSafetensors,
  type Tensor,
  tensor,
} from '@pneumo/nn';
import { fsyncDir, writeFileAtomic, writeFileDurable } from '@pneumo/nn/node';
import { type CheckpointInfo, type CheckpointPart, checkCheckpointInfo } from './checkpoint-format.js';

export type { CheckpointInfo };

/** A state dict with NaN or infinite values cannot be saved: training has diverged. */
export class NonFiniteWeightsError extends Error {
  constructor(readonly names: string[]) {
    super(
      `${names.length} tensor(s) hold NaN or infinite values (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''})`,
    );
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Safetensors bytes of a state dict, refusing non-finite values. */
async function serializeFinite(dict: Map<string, Tensor>, metadata: Record<string, string>): Promise<Uint8Array> {
  const entries: [string, { shape: readonly number[]; data: Float32Array | Int32Array }][] = [];
  const bad: string[] = [];
  for (const [name, t] of dict) {
    const data = await t.data();
    if (data instanceof Float32Array && !data.every(Number.isFinite)) bad.push(name);
    entries.push([name, { shape: t.shape, data }]);
  }
  if (bad.length > 0) throw new NonFiniteWeightsError(bad);
  return serializeSafetensors(entries, metadata);
}

/** The checkpoint base path for a weights file or base ("out/best.safetensors", "out/best.json" and "out/best" all work). */
export function checkpointBase(path: string): string {
  return path.replace(/\.(optimizer\.)?safetensors$|\.json$/, '');
}

/** Parts are named `<name>.e<epoch>.<nonce>.<kind>.safetensors` next to the manifest. */
const PART = /^(.+)\.e\d+\.[0-9a-f]{8}\.(weights|optimizer)\.safetensors$/;

function writePart(
  base: string,
  epoch: number,
  nonce: string,
  kind: 'weights' | 'optimizer',
  bytes: Uint8Array,
): CheckpointPart {
  const file = `${basename(base)}.e${epoch}.${nonce}.${kind}.safetensors`;
  writeFileDurable(join(dirname(base), file), bytes);
  return { file, bytes: bytes.byteLength, sha256: sha256(bytes) };
}

/**
 * Saves a checkpoint set (see the file comment). Throws NonFiniteWeightsError,
 * writing nothing, when a weight or optimizer value is not finite.
 */
export async function saveCheckpoint(
  base: string,
  model: Module,
  info: CheckpointInfo,
  optimizerState?: OptimizerState,
): Promise<void> {
  const dir = dirname(base);
  const weights = await serializeFinite(model.stateDict(), { format: 'pt', architecture: info.architecture });
  const optimizer = optimizerState ? await serializeFinite(new Map(Object.entries(optimizerState.tensors)), {}) : null;
  const previous = existsSync(`${base}.json`) ? partsOf(base) : [];
  const nonce = Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
  const parts: CheckpointInfo['parts'] = { weights: writePart(base, info.epoch, nonce, 'weights', weights) };
  if (optimizer) parts.optimizer = writePart(base, info.epoch, nonce, 'optimizer', optimizer);
  fsyncDir(dir);
  // The commit.
  writeFileAtomic(`${base}.json`, `${JSON.stringify({ ...info, parts }, null, 1)}\n`);
  // After it: the plain-named copy of the weights, and the old parts go.
  const plain = `${base}.safetensors`;
  const tmp = `${plain}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  linkSync(join(dir, parts.weights.file), tmp);
  renameSync(tmp, plain);
  const kept = new Set([parts.weights.file, parts.optimizer?.file]);
  for (const f of previous) if (!kept.has(f)) rmSync(join(dir, f), { force: true });
  fsyncDir(dir);
}

/** The part files a manifest names (none for a damaged or old-format one). */
function partsOf(base: string): string[] {
  try {
    const info = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Partial<CheckpointInfo>;
    return [info.parts?.weights?.file, info.parts?.optimizer?.file].filter((f): f is string => typeof f === 'string');
  } catch {
    return [];
  }
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

/** The bytes of a part, checked against the manifest (size and SHA-256). */
function readPart(base: string, part: CheckpointPart, what: string): Uint8Array {
  const path = join(dirname(base), part.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(
      `checkpoint ${base}: its ${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.byteLength !== part.bytes || sha256(view) !== part.sha256) {
    throw new Error(
      `checkpoint ${base}: its ${what} ${path} does not match ${base}.json (a part of another save, or damaged)`,
    );
  }
  return view;
}

/** Tensors of a safetensors part, refusing non-finite values before anything reaches the GPU. */
function finiteDict(bytes: Uint8Array, where: string, device?: DeviceName): Map<string, Tensor> {
  const file = parseSafetensors(bytes);
  const bad = [...file.tensors]
    .filter(([, e]) => e.data instanceof Float32Array && !e.data.every(Number.isFinite))
    .map(([n]) => n);
  if (bad.length > 0)
    throw new Error(`${where}: ${new NonFiniteWeightsError(bad).message}; this checkpoint cannot be used`);
  const dict = new Map<string, Tensor>();
  for (const [name, e] of file.tensors) dict.set(name, tensor(e.data, { shape: e.shape, device }));
  return dict;
}

/** The weights of a checkpoint (a manifest's part, or `<base>.safetensors` for older checkpoints). */
export function checkpointWeightBytes(path: string): { bytes: Uint8Array; where: string } {
  const base = checkpointBase(path);
  const info = readCheckpointInfo(base);
  if (info.parts)
    return {
      bytes: readPart(base, info.parts.weights, 'weights'),
      where: join(dirname(base), info.parts.weights.file),
    };
  const plain = `${base}.safetensors`;
  try {
    const b = readFileSync(plain);
    return { bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), where: plain };
  } catch (e) {
    throw new Error(`cannot read ${plain}: ${(e as Error).message}`);
  }
}

export function loadCheckpointWeights(path: string, model: Module, device?: DeviceName): void {
  const { bytes, where } = checkpointWeightBytes(path);
  const dict = finiteDict(bytes, where, device);
  try {
    model.loadStateDict(dict);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  } finally {
    for (const t of dict.values()) t.dispose();
  }
}

/** The optimizer state of a checkpoint, required (resuming without it would silently restart the moments). */
export function loadOptimizerTensors(path: string, device?: DeviceName): Record<string, Tensor> {
  const base = checkpointBase(path);
  const info = readCheckpointInfo(base);
  if (!info.parts?.optimizer) {
    throw new Error(`checkpoint ${base} has no optimizer state, so training cannot resume exactly from it`);
  }
  const where = join(dirname(base), info.parts.optimizer.file);
  return Object.fromEntries(finiteDict(readPart(base, info.parts.optimizer, 'optimizer state'), where, device));
}

/**
 * Removes what interrupted saves left in an output directory: temporary
 * files, and parts no manifest names. Returns the names removed.
 */
export function cleanCheckpointDir(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir);
  const referenced = new Set<string>();
  for (const n of names) if (n.endsWith('.json')) for (const f of partsOf(join(dir, n.slice(0, -5)))) referenced.add(f);
  const removed: string[] = [];
  for (const n of names) {
    const stale = (n.endsWith('.tmp') && statSync(join(dir, n)).isFile()) || (PART.test(n) && !referenced.has(n));
    if (!stale) continue;
    rmSync(join(dir, n), { force: true });
    removed.push(n);
  }
  return removed;
}
