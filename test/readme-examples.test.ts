/**
 * The runnable example in each package's README runs as written, in a fresh
 * Node process at the repository root (as a user's script would import the
 * built packages), so the READMEs cannot drift from the API.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('package README examples', () => {
  it.each(['kernels', 'tensor', 'nn', 'pneumonia'])('@pneumo/%s', (pkg) => {
    const readme = readFileSync(`${root}/packages/${pkg}/README.md`, 'utf8');
    const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks, 'a ```js example').toHaveLength(1);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', blocks[0]!], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
  });
});
