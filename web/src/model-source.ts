/**
 * Where the page's checkpoint comes from: picked files (the .json and
 * .safetensors pair `pneumo train` writes), a URL, or the model the project
 * ships under models/. Loading goes through the app's own checkpoint code,
 * so the page and `pneumo predict` build the same model.
 */
import type { Module } from '@pneumo/nn';
import { type CheckpointInfo, checkCheckpointInfo, modelFromCheckpoint } from '@pneumo/pneumonia/browser';
import { fileBytes } from './dom.js';

export interface LoadedModel {
  name: string;
  info: CheckpointInfo;
  model: Module;
}

/** The models the project ships (models/ is served next to the app); the first is the default. */
export const SHIPPED_MODELS = [
  { url: 'models/pneumo-blog-cnn.json', label: 'blog CNN (default)' },
  { url: 'models/pneumo-resnet.json', label: 'ResNet' },
] as const;

/** The default shipped model. */
export const SHIPPED_MODEL = SHIPPED_MODELS[0].url;

/** The shipped models this server has (a HEAD request each). */
export async function availableShippedModels(): Promise<(typeof SHIPPED_MODELS)[number][]> {
  const present = await Promise.all(
    SHIPPED_MODELS.map((m) =>
      fetch(m.url, { method: 'HEAD' }).then(
        (r) => r.ok,
        () => false,
      ),
    ),
  );
  return SHIPPED_MODELS.filter((_, i) => present[i]);
}

function fromParts(name: string, json: string, weights: Uint8Array): LoadedModel {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new Error(`${name}: not JSON (${(e as Error).message})`);
  }
  const info = checkCheckpointInfo(parsed, name);
  return { name, info, model: modelFromCheckpoint(info, weights) };
}

/** From picked files: one .json and one .safetensors (the optimizer state, if picked, is ignored). */
export async function modelFromFiles(files: readonly File[]): Promise<LoadedModel> {
  const json = files.find((f) => f.name.endsWith('.json'));
  const weights = files.find((f) => f.name.endsWith('.safetensors') && !f.name.endsWith('.optimizer.safetensors'));
  if (!json || !weights) throw new Error('pick both files of a checkpoint: the .json and the .safetensors');
  return fromParts(json.name.replace(/\.json$/, ''), await json.text(), await fileBytes(weights));
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

/** From a URL of the checkpoint's .json, .safetensors or base name. */
export async function modelFromUrl(url: string): Promise<LoadedModel> {
  const base = url.replace(/\.(json|safetensors)$/, '');
  const [json, weights] = await Promise.all([fetchOk(`${base}.json`), fetchOk(`${base}.safetensors`)]);
  return fromParts(base.split('/').pop() ?? base, await json.text(), new Uint8Array(await weights.arrayBuffer()));
}
