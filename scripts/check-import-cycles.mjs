#!/usr/bin/env node
// Fails when the runtime imports between the packages' source files form a
// circle. Type-only imports (`import type`, or every name marked `type`) are
// erased by the compiler and do not count. Tests are left out.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository root (or another tree laid out like it, for the test).
const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const packages = join(root, 'packages');

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative modules a file imports or re-exports at run time. */
function runtimeImports(file) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  const statement =
    /^\s*(import|export)\s+(type\s+)?([^;=()]*?)\s*from\s*['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(statement)) {
    const spec = m[4] ?? m[5];
    if (m[2]) continue;
    const names = m[3] ?? '';
    const braces = names.match(/^\{([\s\S]*)\}$/);
    if (braces) {
      const items = braces[1]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length > 0 && items.every((s) => s.startsWith('type '))) continue;
    }
    out.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return out;
}

const files = readdirSync(packages).flatMap((p) => {
  const src = join(packages, p, 'src');
  try {
    return sources(src);
  } catch {
    return [];
  }
});
const graph = new Map(files.map((f) => [f, runtimeImports(f).filter((g) => files.includes(g))]));

// Tarjan's strongly connected components: any component of more than one file is a circle.
let index = 0;
const stack = [];
const info = new Map();
const circles = [];
function visit(v) {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v)) {
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).includes(v)) circles.push(component);
  }
}
for (const f of files) if (!info.has(f)) visit(f);

if (circles.length > 0) {
  for (const c of circles) console.error(`import circle: ${c.map((f) => relative(root, f)).join(' <-> ')}`);
  process.exit(1);
}
console.log(`no import circles among ${files.length} source files`);
