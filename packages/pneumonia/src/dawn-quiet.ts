/**
 * Dawn, the WebGPU implementation under the `webgpu` package, prints its
 * own warnings from native code straight to the process's stderr (a limit
 * "artificially reduced", a Vulkan loader that found no driver, with C++
 * source paths). JavaScript cannot intercept those writes, so the CLI runs
 * itself as a child with stderr piped through this filter, which drops
 * Dawn's warning blocks and passes everything else through unchanged.
 * PNEUMO_DEBUG=1 shows them.
 */
import { spawn } from 'node:child_process';
import { lostBytes, RAW_ARGV_ENV, rawArgv } from './raw-args.js';

/** A Dawn warning block: "Warning: …", then "    at …" lines, then a blank line. */
export function dawnNoiseFilter(): (chunk: string) => string {
  let pending = '';
  let inBlock = false;
  return (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    const kept: string[] = [];
    for (const line of lines) {
      if (/^Warning: /.test(line)) {
        inBlock = true;
        continue;
      }
      if (inBlock && (/^\s+at /.test(line) || /^\s*- While /.test(line) || line.trim() === '')) continue;
      inBlock = false;
      kept.push(line);
    }
    return kept.length ? `${kept.join('\n')}\n` : '';
  };
}

/**
 * Re-runs this script as a child with stderr filtered, and exits with its
 * code; returns false (run normally) inside the child or with PNEUMO_DEBUG.
 *
 * The child must never outlive the process the user started: a parent
 * killed by SIGKILL (a supervisor, a CI timeout, `kill -9`) cannot forward
 * anything, so the two share an IPC channel, and the child exits as soon as
 * the channel closes (see exitWithParent). Checkpoint sets are committed
 * atomically and the run lock names a dead process then, so `--resume`
 * continues from the last whole save.
 */
export function runQuietly(): boolean {
  const env = process.env;
  if (env.PNEUMO_QUIET_CHILD === '1') {
    exitWithParent();
    return false;
  }
  if (env.PNEUMO_DEBUG && env.PNEUMO_DEBUG !== '0') return false;
  // Spawning re-encodes the arguments as UTF-8: the bytes of any that were not go along separately.
  const raw = process.argv.slice(2).some(lostBytes) ? rawArgv() : null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    env: {
      ...env,
      PNEUMO_QUIET_CHILD: '1',
      ...(raw ? { [RAW_ARGV_ENV]: JSON.stringify(raw.map((b) => b.toString('base64'))) } : {}),
    },
  });
  const filter = dawnNoiseFilter();
  const stderr = child.stderr!;
  stderr.setEncoding('utf8');
  stderr.on('data', (d: string) => process.stderr.write(filter(d)));
  // The terminal sends Ctrl-C to the whole process group; the parent waits for the child.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    process.stderr.write(filter('\n').trimEnd());
    process.exit(code ?? (signal ? 128 + 2 : 1));
  });
  return true;
}

/**
 * In the child: exit when the parent's end of the IPC channel closes (the
 * parent died, by any signal). The channel does not keep the child alive
 * otherwise. Nothing is written: stderr went to the parent.
 */
function exitWithParent(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.exit(129));
}
