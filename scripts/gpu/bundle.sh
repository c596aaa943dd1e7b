#!/usr/bin/env bash
# Packs what the GPU benchmark needs on a bare machine that has a GPU and
# its driver but no Node, no npm registry and no build: a Node binary (when
# asked), the built packages, the runtime node_modules (Dawn for linux-x64
# only; TF.js's Node bundles only), and the Vulkan loader. The result,
# gpu-bundle/bundle.tar.xz, is small enough to travel with the working tree
# (about 8 MB, 30 MB with Node). Run after `npm ci` (which builds everything):
#
#   bash scripts/gpu/bundle.sh            # without Node (the GPU machine has one)
#   bash scripts/gpu/bundle.sh --node     # with this machine's Node binary
#
# It fails when the bundle is over 40 MB (CI builds it with --node to check).
#
# Then, on the GPU machine, from the repository root: bash scripts/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
with_node=0
[ "${1:-}" = "--node" ] && with_node=1

for d in packages/kernels/dist packages/tensor/dist packages/nn/dist packages/pneumonia/dist benchmarks/dist; do
  [ -d "$d" ] || { echo "bundle: $d is missing: run npm ci (or npm run build) first" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/root" "$stage/lib"
# Built code, and the workspace links npm made (node_modules/@pneumo/* point at packages/*).
tar -cf - packages/*/dist benchmarks/dist | tar -xf - -C "$stage/root"
mkdir -p "$stage/root/node_modules"
# The packages the benchmarks load at run time: the workspaces' dependencies
# (optional and peer ones too: Dawn's webgpu), TF.js, and theirs, followed
# through package.json; not the build, test and doc tools (typedoc's syntax
# highlighter alone is 13 MB), not type declarations. A package npm nested
# under another's node_modules travels inside that one.
runtime=$(node -e '
  const fs = require("fs");
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || name.startsWith("@types/") || name === "@webgpu/types") return;
    seen.add(name);
    const file = `node_modules/${name}/package.json`;
    if (!fs.existsSync(file)) return;
    const p = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies, ...p.peerDependencies })) visit(d);
  };
  process.argv.slice(1).forEach(visit);
  console.log([...seen].filter((n) => !n.startsWith("@pneumo/") && fs.existsSync(`node_modules/${n}`)).join("\n"));
' @pneumo/benchmarks @pneumo/kernels @pneumo/tensor @pneumo/nn @pneumo/pneumonia @tensorflow/tfjs-core @tensorflow/tfjs-backend-webgpu)
for m in $runtime; do
  mkdir -p "$stage/root/node_modules/$(dirname "$m")"
  cp -a "node_modules/$m" "$stage/root/node_modules/$m"
done
# Dawn ships binaries for five platforms; keep linux-x64.
find "$stage/root/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 -type d ! -name linux-x64 -exec rm -rf {} +
# TF.js: the Node (CommonJS) bundles and package.json are all that load.
for t in "$stage"/root/node_modules/@tensorflow/*; do
  find "$t/dist" -mindepth 1 ! -name '*.node.js' -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$t/src" "$t/scripts"
done
# The Vulkan loader (Debian's libvulkan1) and the GL dispatch libraries
# (libglvnd) NVIDIA's Vulkan driver (libGLX_nvidia) links against, for a
# machine that has only the driver.
for l in /usr/lib/x86_64-linux-gnu/{libvulkan.so.1,libGLdispatch.so.0,libGLX.so.0,libEGL.so.1,libOpenGL.so.0}*; do
  [ -e "$l" ] && cp -aL "$l" "$stage/lib/"
done
if [ "$with_node" = 1 ]; then
  mkdir -p "$stage/node/bin"
  cp "$(command -v node)" "$stage/node/bin/node"
  # Symbols only: 99 -> 86 MB, about 3 MB less in the archive.
  command -v strip >/dev/null && strip --strip-unneeded "$stage/node/bin/node"
fi
# BUNDLE_DIR: where it goes (CI checks one in a scratch folder).
dir=${BUNDLE_DIR:-gpu-bundle}
mkdir -p "$dir"
# BUNDLE_XZ_LEVEL: CI packs at -1, five times faster than the default -6
# and larger (37.1 against 29.7 MB), so a -1 bundle within the limit means
# a real one is too.
XZ_OPT="-${BUNDLE_XZ_LEVEL:-6}" tar -C "$stage" -cJf "$dir/bundle.tar.xz" .
ls -la "$dir/bundle.tar.xz"
# The bundle travels with the working tree within 64 MiB: refuse one that
# leaves the tree less than about 24 MB (it was 63 MB once, with dev tools).
limit=$((40 * 1000 * 1000))
size=$(stat -c %s "$dir/bundle.tar.xz")
if [ "$size" -gt "$limit" ]; then
  echo "bundle: $dir/bundle.tar.xz is $size bytes, over the $limit-byte limit: something unneeded got packed" >&2
  exit 1
fi
