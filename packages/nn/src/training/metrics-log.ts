import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Callback, EpochEnd } from './fit.js';

/**
 * A callback that appends one JSON line per epoch (epoch, losses, the
 * metrics the callbacks before it added, seconds) to `path`: a log that
 * survives a crash line by line and loads into any tool.
 */
export function metricsLog(path: string): Callback {
  mkdirSync(dirname(path), { recursive: true });
  return {
    onEpochEnd(s: EpochEnd): void {
      const { metrics, ...rest } = s;
      appendFileSync(path, `${JSON.stringify({ ...rest, ...metrics })}\n`);
    },
  };
}
