// Bundles the web app with esbuild into web/dist (index.html, app.css,
// app.js). Run by `npm run web` (which then serves it) and by the browser
// tests. The TypeScript is type-checked by the root `tsc -b`.
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
  metafile: true,
});
for (const f of ['index.html', 'app.css']) copyFileSync(join(here, f), join(out, f));
const bytes = statSync(join(out, 'app.js')).size;
console.log(
  `web: built ${join(out, 'app.js')} (${(bytes / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} modules)`,
);
