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

/**
 * The file a URL path names under one of the roots, never outside it; null
 * when there is none. Throws URIError on a malformed percent-encoding.
 */
function resolve(roots, urlPath) {
  for (const [prefix, root] of Object.entries(roots)) {
    if (!urlPath.startsWith(prefix)) continue;
    const decoded = decodeURIComponent(urlPath.slice(prefix.length));
    // A NUL makes every fs call throw; no file of ours has one in its name.
    if (decoded.includes('\0')) return null;
    const rel = normalize(decoded || 'index.html');
    const file = join(root, rel);
    if (!file.startsWith(root + sep) && file !== root) return null;
    try {
      return statSync(file).isFile() ? file : null;
    } catch {
      return null;
    }
  }
  return null;
}

function answer(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(text);
}

/**
 * Starts the server; `models` is the folder served under /models/. Every
 * request gets an answer and none can stop the server: a malformed URL is a
 * 400, a method other than GET or HEAD a 405, a path outside the roots a 404,
 * and a file that cannot be read after all a 500 (or a cut connection once
 * its headers went out). Files stream, so many parallel downloads of the
 * model hold little memory.
 */
export function startServer(port = 8080, { models = defaultModels } = {}) {
  const roots = { '/models/': models, '/': join(here, 'dist') };
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      answer(res, 405, 'method not allowed');
      return;
    }
    let file;
    try {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      file = resolve(roots, path === '/' ? '/index.html' : path);
    } catch {
      answer(res, 400, 'bad request');
      return;
    }
    if (!file) {
      answer(res, 404, 'not found');
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => {
      if (res.headersSent) res.destroy();
      else answer(res, 500, 'cannot read the file');
    });
    stream.on('open', () => {
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') {
        stream.destroy();
        res.end();
      } else stream.pipe(res);
    });
    // A client that goes away mid-download must not keep the file open.
    res.on('close', () => stream.destroy());
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
