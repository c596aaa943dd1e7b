/**
 * Dawn prints warnings from native code straight to file descriptor 2 while
 * it enumerates adapters ("maxDynamicUniformBuffersPerPipelineLayout
 * artificially reduced from 90 to 16…" on llvmpipe and on most GPUs): facts
 * about its own limits that no user can act on, and that JavaScript cannot
 * intercept. `silenceNativeStderr` points fd 2 at /dev/null for the length of
 * one synchronous call and then puts the original stream back.
 *
 * Node has no dup2, so the swap relies on open(2) returning the lowest free
 * descriptor: keep a second handle on the original stream (reopened through
 * /proc/self/fd), close 2, open /dev/null (it becomes 2), call, close 2,
 * reopen the original (it becomes 2 again). Each close is followed at once
 * by its open on this thread; if another thread opened a file in between and
 * took 2, the check below notices, says so, and silences nothing more.
 *
 * Only on Linux, only where stderr is a terminal or a pipe (a file keeps
 * the warnings: see reopenStderr), and never with PNEUMO_DEBUG=1, which
 * shows Dawn's warnings.
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { envFlag } from './context.js';

const STDERR = 2;
let broken = false;

/** Runs `call` with native writes to stderr dropped; writes after it returns reach stderr as before. */
export function silenceNativeStderr<T>(call: () => T): T {
  const original = canSwap() ? reopenStderr() : null;
  if (original === null) return call();
  const reopenOriginal = () => reopen(original);
  try {
    if (!swapInto(openNull, original)) {
      // /dev/null could not be opened: put the original back where 2 is still free.
      if (!broken) swapInto(reopenOriginal, original);
      return call();
    }
    try {
      return call();
    } finally {
      swapInto(reopenOriginal, original);
    }
  } finally {
    closeSync(original);
  }
}

function canSwap(): boolean {
  return process.platform === 'linux' && !broken && !envFlag('PNEUMO_DEBUG');
}

/**
 * A second descriptor on the stream fd 2 points at, or null where it must
 * not be swapped: a regular file (a reopened file has an offset of its own,
 * and a log shared with stdout, `> log 2>&1`, would be overwritten), a
 * socket (cannot be reopened), a closed fd 2.
 */
function reopenStderr(): number | null {
  let fd: number;
  try {
    const stream = fstatSync(STDERR);
    if (!stream.isFIFO() && !stream.isCharacterDevice()) return null;
    fd = reopen(STDERR);
  } catch {
    return null;
  }
  const a = fstatSync(fd);
  const b = fstatSync(STDERR);
  if (a.dev === b.dev && a.ino === b.ino && a.rdev === b.rdev) return fd;
  closeSync(fd);
  return null;
}

/** Opens what `fd` points at again, for writing; never as this process's controlling terminal. */
function reopen(fd: number): number {
  return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NOCTTY);
}

function openNull(): number {
  return openSync('/dev/null', 'w');
}

/**
 * Closes fd 2 (when open) and opens `next`, which must land on 2. Where
 * another thread's open took 2 first, says so through the original stream
 * and stops swapping for the life of the process; false then, and also
 * where `next` could not be opened.
 */
function swapInto(next: () => number, original: number): boolean {
  try {
    closeSync(STDERR);
  } catch {
    // already closed by a failed swap
  }
  let fd = -1;
  try {
    fd = next();
  } catch {
    return false;
  }
  if (fd === STDERR) return true;
  closeSync(fd);
  broken = true;
  writeSync(
    original,
    'pneumo: stderr is lost: another thread opened a file while Dawn warnings were being silenced (PNEUMO_DEBUG=1 turns that off)\n',
  );
  return false;
}
