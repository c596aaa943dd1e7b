/**
 * Reading an image file defensively: only a regular file (a FIFO would
 * block forever, a directory or device is no image), and no larger than a
 * cap (a mislabelled 1.5 GB file is not read whole). Errors say which rule
 * the file broke; callers skip it with a warning.
 */
import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_MAX_IMAGE_MB } from './image.js';

export { DEFAULT_MAX_IMAGE_MB };

export function maxImageBytes(): number {
  const env = process.env.PNEUMO_MAX_IMAGE_MB;
  if (env === undefined || env === '') return DEFAULT_MAX_IMAGE_MB * 2 ** 20;
  const mb = Number(env);
  if (!(mb > 0)) throw new Error(`PNEUMO_MAX_IMAGE_MB='${env}' is not a positive number of megabytes`);
  return mb * 2 ** 20;
}

const KIND: [string, (s: import('node:fs').Stats) => boolean][] = [
  ['a directory', (s) => s.isDirectory()],
  ['a FIFO', (s) => s.isFIFO()],
  ['a socket', (s) => s.isSocket()],
  ['a device', (s) => s.isCharacterDevice() || s.isBlockDevice()],
];

/** Why a path cannot be read as a file, in words. */
export function fileProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'a symbolic link loop';
  if (code === 'ENOENT') return 'no such file (or a dangling symbolic link)';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a directory, not an image file';
  return (e as Error).message;
}

/** Why something that is not a regular file is no image. */
const notAFile = (st: import('node:fs').Stats) =>
  `${KIND.find(([, is]) => is(st))?.[0] ?? 'not a regular file'}, not an image file`;

/** Why a path cannot be an image file (missing, a directory, a FIFO…), or null; reads nothing. */
export function pathProblem(path: string): string | null {
  try {
    const st = statSync(path);
    return st.isFile() ? null : notAFile(st);
  } catch (e) {
    return fileProblem(e);
  }
}

/** The bytes of an image file, or an Error saying why not. */
export function readImageFile(path: string, maxBytes = maxImageBytes()): Uint8Array {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(fileProblem(e));
  }
  if (!st.isFile()) throw new Error(notAFile(st));
  if (st.size > maxBytes) {
    throw new Error(
      `the file is ${(st.size / 2 ** 20).toFixed(0)} MB, over the ${(maxBytes / 2 ** 20).toFixed(0)} MB limit for an image (PNEUMO_MAX_IMAGE_MB)`,
    );
  }
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    throw new Error(fileProblem(e));
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
