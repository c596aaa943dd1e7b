// Serves the built web app (web/dist) and the shipped models (models/) on
// 127.0.0.1 only. `node web/serve.mjs [port]` (default 8080; 0 picks a free
// one); prints the URL. PNEUMO_MODELS_DIR serves another models folder.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const defaultModels = process.env.PNEUMO_MODELS_DIR ?? join(here, '..', 'models');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
};

/** The file a URL path names under one of the roots, never outside it. */
function resolve(roots, urlPath) {
  for (const [prefix, root] of Object.entries(roots)) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = normalize(decodeURIComponent(urlPath.slice(prefix.length)) || 'index.html');
    const file = join(root, rel);
    if (!file.startsWith(root + sep) && file !== root) return null;
    return existsSync(file) && statSync(file).isFile() ? file : null;
  }
  return null;
}

/** Starts the server; `models` is the folder served under /models/. */
export function startServer(port = 8080, { models = defaultModels } = {}) {
  const roots = { '/models/': models, '/': join(here, 'dist') };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = resolve(roots, path === '/' ? '/index.html' : path);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(file ? 405 : 404, { 'content-type': 'text/plain' });
      res.end(file ? 'method not allowed' : 'not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(join(here, 'dist', 'app.js'))) {
    console.error('web/dist is not built: run `npm run web` (builds, then serves)');
    process.exit(1);
  }
  const server = await startServer(Number(process.argv[2] ?? process.env.PORT ?? 8080));
  console.log(`pneumo web app: http://127.0.0.1:${server.address().port}/  (Ctrl-C stops)`);
}
