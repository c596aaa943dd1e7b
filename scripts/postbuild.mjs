// After the build (npm ci's prepare): the `pneumo` command works in the
// checkout. npm links workspace bins at install time, before the build has
// written dist/cli.js, so the link and the executable bit are made here.
import { chmodSync, existsSync, mkdirSync, symlinkSync, lstatSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages', 'pneumonia', 'dist', 'cli.js');
if (existsSync(cli)) {
  chmodSync(cli, 0o755);
  const bin = join(root, 'node_modules', '.bin');
  const link = join(bin, 'pneumo');
  mkdirSync(bin, { recursive: true });
  let present = false;
  try {
    lstatSync(link);
    present = true;
  } catch {}
  if (!present) symlinkSync(relative(bin, cli), link);
}
