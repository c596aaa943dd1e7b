/**
 * The library's browser entries bundle for a browser: no Node built-in and
 * no `webgpu` (Dawn) package gets in, whatever a future import pulls along.
 * The Node entries, bundled the same way, must be refused, which proves the
 * check can fail.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = (pkg: string, file = 'index.ts') => `${root}packages/${pkg}/src/${file}`;

/** Records every Node built-in, Dawn or native-addon (.node) import instead of resolving it. */
function nodeImportTrap(found: string[]): Plugin {
  return {
    name: 'node-import-trap',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.replace(/^node:/, '');
        if (!args.path.startsWith('node:') && !builtinModules.includes(bare) && args.path !== 'webgpu')
          return undefined;
        found.push(`${args.path} (from ${args.importer.slice(root.length)})`);
        return { path: args.path, external: true };
      });
      // A native addon (e.g. a package's prebuilt .node binary) only loads in Node.
      b.onLoad({ filter: /\.node$/ }, (args) => {
        found.push(`${args.path.slice(root.length)} (native addon)`);
        return { contents: '', loader: 'js' };
      });
      // Workspace packages from their sources, as a bundler in the monorepo would see them.
      b.onResolve({ filter: /^@pneumo\// }, (args) => {
        const [, pkg, sub] = /^@pneumo\/([^/]+)(?:\/(.+))?$/.exec(args.path)!;
        return { path: src(pkg!, sub ? `${sub}.ts` : 'index.ts') };
      });
    },
  };
}

async function bundle(entry: string): Promise<{ bytes: number; nodeImports: string[] }> {
  const found: string[] = [];
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    minify: true,
    logLevel: 'silent',
    plugins: [nodeImportTrap(found)],
  });
  return { bytes: out.outputFiles[0]!.contents.byteLength, nodeImports: found };
}

describe('browser entries', () => {
  it('@pneumo/nn (and so tensor, kernels and kernels/browser) bundles with no Node module', async () => {
    const r = await bundle(src('nn'));
    expect(r.nodeImports).toEqual([]);
    // The whole library, minified: well under a megabyte.
    expect(r.bytes).toBeGreaterThan(50_000);
    expect(r.bytes).toBeLessThan(1_000_000);
    console.log(`@pneumo/nn browser bundle: ${(r.bytes / 1024).toFixed(0)} KiB minified`);
  });

  it("@pneumo/pneumonia/browser (the app's browser-safe part) bundles with no Node module", async () => {
    const r = await bundle(src('pneumonia', 'browser.ts'));
    expect(r.nodeImports).toEqual([]);
    console.log(
      `@pneumo/pneumonia/browser bundle (with the library, jpeg-js, fast-png): ${(r.bytes / 1024).toFixed(0)} KiB minified`,
    );
  });

  it('the Node entries are caught by the same check', async () => {
    expect((await bundle(src('nn', 'node.ts'))).nodeImports.some((m) => m.startsWith('node:fs'))).toBe(true);
    expect((await bundle(src('kernels', 'node.ts'))).nodeImports.some((m) => m.startsWith('webgpu'))).toBe(true);
    const app = (await bundle(src('pneumonia', 'index.ts'))).nodeImports;
    expect(app.some((m) => m.startsWith('node:fs'))).toBe(true);
    expect(app.some((m) => m.includes('native addon'))).toBe(true);
  });
});
