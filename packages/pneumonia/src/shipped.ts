/**
 * The models this repository ships (models/<name>.{json,safetensors} at the
 * repository root): what predict, explain and evaluate use without
 * --weights. The blog CNN is the default; `--model resnet` picks the ResNet.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shipped models' base paths by architecture (from dist/ or src/, both two levels below the package). */
export const SHIPPED_MODELS = {
  'blog-cnn': fileURLToPath(new URL('../../../models/pneumo-blog-cnn', import.meta.url)),
  resnet: fileURLToPath(new URL('../../../models/pneumo-resnet', import.meta.url)),
} as const;
export type ShippedModel = keyof typeof SHIPPED_MODELS;
/** The default shipped model (the blog CNN). */
export const SHIPPED_MODEL = SHIPPED_MODELS['blog-cnn'];

/** `--weights` if given, else the shipped model `model` (default the blog CNN); a clear error when neither exists. */
export function weightsOrShipped(weights: string | undefined, command: string, model?: ShippedModel): string {
  if (weights !== undefined) {
    if (model !== undefined) throw new Error(`pneumo ${command}: give --weights or --model, not both`);
    return weights;
  }
  const base = SHIPPED_MODELS[model ?? 'blog-cnn'];
  if (existsSync(`${base}.json`)) return base;
  throw new Error(
    `pneumo ${command}: no --weights given and no shipped ${model ?? 'blog-cnn'} model at ${base}.json (train one with pneumo train, or pass --weights)`,
  );
}
