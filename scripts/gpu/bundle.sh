#!/usr/bin/env bash
# Packs what the GPU benchmark needs on a bare machine that has a GPU and
# its driver but no Node, no npm registry and no build: a Node binary (when
# asked), the built packages, the runtime node_modules (Dawn for linux-x64
# only; TF.js's Node bundles only), and the Vulkan loader. The result,
# gpu-bundle/bundle.tar.xz, is small enough to travel with the working tree
# (about 8 MB, 29 MB with Node). Run after `npm ci` (which builds everything):
#
#   bash scripts/gpu/bundle.sh            # without Node (the GPU machine has one)
#   bash scripts/gpu/bundle.sh --node     # with this machine's Node binary
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
for m in node_modules/*; do
  case "$(basename "$m")" in
    # Build and test tools: not needed to run the benchmarks.
    typescript|vitest|@vitest|vite|esbuild|@esbuild|rollup|@rollup|rolldown|@rolldown|@types|@webgpu|tinypool|tinyspy|chai|@jridgewell|magic-string|postcss|lightningcss*|@biomejs|playwright-core|typedoc) continue ;;
  esac
  cp -a "$m" "$stage/root/node_modules/"
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
mkdir -p gpu-bundle
tar -C "$stage" -cJf gpu-bundle/bundle.tar.xz .
ls -la gpu-bundle/bundle.tar.xz
