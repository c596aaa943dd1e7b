/**
 * Writing files so that a crash, a kill or a full disk never leaves a
 * half-written one under the real name (Node only).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Flushes a directory's entries (a rename is durable only once its directory is). */
export function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename still happened.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Writes all of `data` to a new file and fsyncs it; errors name the file. */
export function writeFileDurable(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let fd: number | null = null;
  try {
    fd = openSync(path, 'wx');
    for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    fd = null;
    rmSync(path, { force: true });
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Replaces `path` atomically: the data goes to `<path>.<pid>.tmp`, is
 * fsynced, and is renamed over `path`; readers see the old file or the new
 * one, never a part. The temporary file is removed on failure.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileDurable(tmp, data);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
  fsyncDir(dirname(path));
}
