/**
 * One training run per output directory: `<out>/.pneumo.lock` names the
 * process that holds it. A second run is refused with that process's id; a
 * lock whose process is gone (killed, crashed) is taken over, so a kill -9
 * never leaves a directory locked for good. Creating the lock also proves
 * the directory is writable before any work starts.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface RunLock {
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  started: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockRunDir(dir: string): RunLock {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create the output directory ${dir}: ${(e as Error).message}`);
  }
  const path = join(dir, '.pneumo.lock');
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new Error(`cannot write to the output directory ${dir}: ${(e as Error).message}`);
      let holder: Holder | null = null;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
      } catch {
        // Unreadable or half-written lock: its writer died while writing it.
      }
      if (holder && (holder.host !== me.host || alive(holder.pid))) {
        throw new Error(
          `${dir} is in use by another training run (process ${holder.pid} on ${holder.host}, since ${holder.started}); ` +
            `use another --out, or wait for it to finish`,
        );
      }
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    const release = () => {
      try {
        const holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
        if (holder.pid === process.pid) rmSync(path, { force: true });
      } catch {
        // Already gone.
      }
    };
    process.once('exit', release);
    return {
      release: () => {
        process.off('exit', release);
        release();
      },
    };
  }
  throw new Error(`cannot lock the output directory ${dir}`);
}
