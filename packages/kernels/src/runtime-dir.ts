import { lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private directory for XDG_RUNTIME_DIR (the Vulkan loader complains on
 * stderr without one). One per user, shared by every process: a fresh temp
 * directory per process piled up in /tmp, one per script run, since nothing
 * removes it after a crash. The shared one is used only when it is a real
 * directory of this user that nobody else can open (/tmp is world-writable:
 * anyone could have made the name first); otherwise this process makes its
 * own and removes it at exit. `uid`: whose directory it must be (this
 * process's user; a test gives another).
 */
export function privateRuntimeDir(base = tmpdir(), uid = process.getuid?.()): string {
  const shared = join(base, `pneumo-runtime-${uid ?? 'user'}`);
  try {
    mkdirSync(shared, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return ownDir(base);
  }
  const st = lstatSync(shared);
  const mine = uid === undefined || st.uid === uid;
  if (st.isDirectory() && mine && (st.mode & 0o077) === 0) return shared;
  return ownDir(base);
}

function ownDir(base: string): string {
  const dir = mkdtempSync(join(base, 'pneumo-runtime-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
