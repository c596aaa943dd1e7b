import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'scripts', 'check-import-cycles.mjs');

/** Runs the check on a tree of one package with these files; its exit status and output. */
function check(files: Record<string, string>): { status: number; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'pneumo-cycles-'));
  const src = join(root, 'packages', 'a', 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(src, name), text);
  try {
    return { status: 0, output: execFileSync('node', [script, root], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const err = e as { status: number; stderr: string };
    return { status: err.status, output: err.stderr };
  }
}

describe('scripts/check-import-cycles.mjs', () => {
  it('the repository has no runtime import circle', () => {
    expect(execFileSync('node', [script], { encoding: 'utf8' })).toMatch(/no import circles/);
  });

  it('finds a circle of runtime imports, through a subfolder and a re-export', () => {
    const r = check({
      'a.ts': "import { b } from './sub/b.js';\nexport const a = () => b;\n",
      'sub/b.ts': "export { c as b } from '../c.js';\n",
      'c.ts': "import { a } from './a.js';\nexport const c = 1 + a.length;\n",
    });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/import circle: .*a\.ts.*c\.ts|import circle: .*c\.ts.*a\.ts/);
  });

  it('ignores type-only imports, and tests', () => {
    const r = check({
      'a.ts': "import type { B } from './b.js';\nimport { type C } from './c.js';\nexport type A = B | C;\n",
      'b.ts': "import { x } from './a.js';\nexport type B = number;\nexport const y = x;\n",
      'c.ts': "import { z } from './a.test.js';\nexport type C = string;\n",
      'a.test.ts': "import { y } from './b.js';\nexport const z = y;\n",
    });
    expect(r.status).toBe(0);
  });
});
