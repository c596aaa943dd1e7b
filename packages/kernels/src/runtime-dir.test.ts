import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { privateRuntimeDir } from './runtime-dir.js';

const uid = process.getuid?.() ?? 0;
let base = '';
afterEach(() => rmSync(base, { recursive: true, force: true }));
const fresh = () => {
  base = mkdtempSync(join(tmpdir(), 'pneumo-rtd-test-'));
  return base;
};

describe('privateRuntimeDir', () => {
  it('gives every call (every process) the same private directory instead of a new one each', () => {
    const b = fresh();
    const a = privateRuntimeDir(b);
    expect(privateRuntimeDir(b)).toBe(a);
    expect(a).toBe(join(b, `pneumo-runtime-${uid}`));
    expect(statSync(a).mode & 0o777).toBe(0o700);
  });

  it('does not use a name someone made first open to others, or a symlink', () => {
    const b = fresh();
    const name = join(b, `pneumo-runtime-${uid}`);
    mkdirSync(name, { mode: 0o777 });
    chmodSync(name, 0o777);
    const got = privateRuntimeDir(b);
    expect(got).not.toBe(name);
    expect(statSync(got).mode & 0o077).toBe(0);
    rmSync(name, { recursive: true });
    const elsewhere = mkdtempSync(join(b, 'target-'));
    symlinkSync(elsewhere, name);
    expect(privateRuntimeDir(b)).not.toBe(name);
  });

  it("does not use another user's directory", () => {
    const b = fresh();
    const other = uid + 1;
    const name = join(b, `pneumo-runtime-${other}`);
    mkdirSync(name, { mode: 0o700 });
    // The directory is this process's user's, not the user the call asks for.
    expect(privateRuntimeDir(b, other)).not.toBe(name);
    expect(privateRuntimeDir(b, uid)).toBe(join(b, `pneumo-runtime-${uid}`));
  });
});
