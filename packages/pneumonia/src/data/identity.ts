import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CheckpointInfo } from '../checkpoint-format.js';
import type { ImageRecord } from './layout.js';
import { SYNTHETIC_MARKER } from './synthetic.js';

/**
 * What a run trained on, for its checkpoints: synthetic or real, and a hash
 * of the file list (paths relative to the root, sizes) so a shipped model
 * names the exact data it saw.
 */
export function datasetIdentity(
  root: string,
  records: readonly ImageRecord[],
): NonNullable<CheckpointInfo['trainedOn']> {
  const h = createHash('sha256');
  const lines = records.map((r) => {
    let size = -1;
    try {
      size = statSync(r.path).size;
    } catch {}
    return `${relative(root, r.path)}|${size}`;
  });
  for (const l of lines.sort()) h.update(`${l}\n`);
  return {
    kind: existsSync(join(root, SYNTHETIC_MARKER)) ? 'synthetic' : 'real',
    files: records.length,
    filesSha256: h.digest('hex'),
  };
}
