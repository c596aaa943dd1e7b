/**
 * The model this repository ships (models/pneumo-blog-cnn.{json,safetensors}
 * at the repository root): what predict, explain and evaluate use without
 * --weights.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shipped model's base path (from dist/ or src/, both two levels below the package). */
export const SHIPPED_MODEL = fileURLToPath(new URL('../../../models/pneumo-blog-cnn', import.meta.url));

/** `--weights` if given, else the shipped model; a clear error when neither exists. */
export function weightsOrShipped(weights: string | undefined, command: string): string {
  if (weights !== undefined) return weights;
  if (existsSync(`${SHIPPED_MODEL}.json`)) return SHIPPED_MODEL;
  throw new Error(`pneumo ${command}: no --weights given and no shipped model at ${SHIPPED_MODEL}.json (train one with pneumo train, or pass --weights)`);
}
