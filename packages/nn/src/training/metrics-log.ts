import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Callback, EpochEnd } from './fit.js';

/**
 * A callback that appends one JSON line per epoch (epoch, losses, the
 * metrics the callbacks before it added, seconds) to `path`: a log that
 * survives a crash line by line and loads into any tool. A number that was
 * not measured (NaN: `trainAccuracy` of a fit without `correct`) is left
 * out, not written as JSON's null.
 */
export function metricsLog(path: string): Callback {
  mkdirSync(dirname(path), { recursive: true });
  return {
    onEpochEnd(s: EpochEnd): void {
      const { metrics, ...rest } = s;
      const entries = Object.entries({ ...rest, ...metrics }).filter(
        ([, v]) => !(typeof v === 'number' && Number.isNaN(v)),
      );
      appendFileSync(path, `${JSON.stringify(Object.fromEntries(entries))}\n`);
    },
  };
}
