import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest global setup: the whole run's temporary files (tests' scratch
 * directories, the CLI children's, the browser's) go under one directory
 * that is removed when the run ends, so a run leaves nothing in /tmp however
 * a test cleans up. Set before any test process starts, which inherits it.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'pneumo-test-run-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
