/**
 * Paths named on the command line, as the bytes the OS passed. Node decodes
 * argv as UTF-8 and replaces bytes that are not (a Latin-1 "é" in a file
 * name, say) with U+FFFD, so the string no longer names the file the user
 * typed. On Linux the bytes are still in /proc/self/cmdline; the quiet parent
 * (dawn-quiet.ts) hands them to its child in PNEUMO_RAW_ARGV, since spawning
 * re-encodes the strings. Skipping such names while scanning a dataset is
 * right (layout.ts); a path the user named is opened as given.
 */
import { constants, openSync, readFileSync } from 'node:fs';

export const RAW_ARGV_ENV = 'PNEUMO_RAW_ARGV';

/** The arguments after the script, as bytes; null where they cannot be recovered. */
export function rawArgv(): Buffer[] | null {
  const args = process.argv.slice(2);
  let raw: Buffer[];
  const passed = process.env[RAW_ARGV_ENV];
  if (passed) {
    try {
      raw = (JSON.parse(passed) as string[]).map((b) => Buffer.from(b, 'base64'));
    } catch {
      return null;
    }
  } else {
    let cmdline: Buffer;
    try {
      cmdline = readFileSync('/proc/self/cmdline');
    } catch {
      return null;
    }
    const all: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < cmdline.length; i++) {
      if (cmdline[i] === 0) {
        all.push(cmdline.subarray(start, i));
        start = i + 1;
      }
    }
    raw = all.slice(all.length - args.length);
  }
  // The same arguments, or none: a mismatch means the bytes are not these arguments.
  if (raw.length !== args.length || raw.some((b, i) => b.toString('utf8') !== args[i])) return null;
  return raw;
}

/** True when an argument lost bytes in decoding (and so may name a file only its bytes reach). */
export const lostBytes = (arg: string): boolean => arg.includes('\uFFFD');

/**
 * A path string the OS resolves to the file or directory the argument named.
 * Unchanged for a name that is valid UTF-8; for one that is not, the file
 * is opened by its bytes and reached through /proc/self/fd (the descriptor
 * stays open for the life of the process). Falls back to the argument, whose
 * use then fails with the usual "no such file".
 */
export function osPath(arg: string, raw?: Buffer[] | null): string {
  if (!lostBytes(arg)) return arg;
  // Once per argument: the CLI checks a file before it reads it, and each open would hold a descriptor.
  const known = opened.get(arg);
  if (known !== undefined) return known;
  const path = openByBytes(arg, raw === undefined ? rawArgv() : raw);
  opened.set(arg, path);
  return path;
}

const opened = new Map<string, string>();

function openByBytes(arg: string, raw: Buffer[] | null): string {
  if (!raw) return arg;
  for (const b of raw) {
    const text = b.toString('utf8');
    let bytes: Buffer | null = null;
    if (text === arg) bytes = b;
    else if (text.endsWith(`=${arg}`)) bytes = b.subarray(b.indexOf(0x3d) + 1);
    if (!bytes || bytes.toString('utf8') !== arg) continue;
    try {
      // Non-blocking: opening a FIFO must not wait for a writer (read-image refuses it afterwards).
      const fd = openSync(bytes, constants.O_RDONLY | constants.O_NONBLOCK);
      return `/proc/self/fd/${fd}`;
    } catch {
      return arg;
    }
  }
  return arg;
}
