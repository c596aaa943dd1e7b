#!/usr/bin/env bash
# The GPU benchmark, on a bare machine with a real GPU (e.g. an NVIDIA H100):
# unpacks gpu-bundle/bundle.tar.xz (see bundle.sh), reaches the GPU through
# Dawn's Vulkan back-end, checks one blog-CNN training step against the cpu
# backend, then runs the kernel benchmark and the training-throughput
# benchmark with TF.js's webgpu backend on the same GPU as the baseline,
# and PyTorch with CUDA on the same GPU where the machine's python3 has it.
# Results (tables and JSON) go to $OUT (default gpu-results/).
#
#   bash scripts/gpu/run.sh                 # everything
#   ADAPTER=llvmpipe QUICK=1 bash scripts/gpu/run.sh   # a short dry run on a machine without a GPU
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-gpu-results}
adapter=${ADAPTER:-native}
mkdir -p "$out"
log() { echo "== $*" | tee -a "$out/run.log"; }

# 1. Unpack: built code and node_modules in place; Node and the loader aside.
b=gpu-bundle
if [ -f "$b/bundle.tar.xz" ]; then
  mkdir -p "$b/x" && tar -xJf "$b/bundle.tar.xz" -C "$b/x"
  cp -a "$b/x/root/." .
  # npm's workspace links, which the bundle cannot carry as links.
  mkdir -p node_modules/@pneumo
  for p in kernels tensor nn pneumonia; do ln -sfn "../../packages/$p" "node_modules/@pneumo/$p"; done
  ln -sfn ../../benchmarks node_modules/@pneumo/benchmarks
fi
node_ok() { command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'; }
if ! node_ok && [ -x "$b/x/node/bin/node" ]; then export PATH="$PWD/$b/x/node/bin:$PATH"; fi
node_ok || { log "no Node >= 20 here and none in the bundle (bundle.sh --node)"; exit 1; }
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' || ! ldconfig -p 2>/dev/null | grep -q 'libGLdispatch.so.0 '; then
  [ -d "$b/x/lib" ] && export LD_LIBRARY_PATH="$PWD/$b/x/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# 2. The NVIDIA Vulkan driver: its ICD manifest, or one written for the
# library the driver installed (containers often mount the library only).
if [ "$adapter" = native ] && [ -z "${VK_ICD_FILENAMES:-}" ]; then
  icd=$(ls /etc/vulkan/icd.d/nvidia*.json /usr/share/vulkan/icd.d/nvidia*.json /usr/local/nvidia/share/vulkan/icd.d/nvidia*.json 2>/dev/null | head -n 1)
  if [ -z "$icd" ]; then
    lib=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')
    [ -z "$lib" ] && lib=$(ls /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 /usr/lib64/libGLX_nvidia.so.0 2>/dev/null | head -n 1)
    if [ -n "$lib" ]; then
      icd="$PWD/$out/nvidia_icd.json"
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" >"$icd"
    fi
  fi
  [ -n "$icd" ] && export VK_ICD_FILENAMES="$icd"
  log "Vulkan ICD: ${VK_ICD_FILENAMES:-none found}"
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
export PNEUMO_TUNE_FILE="$PWD/$out/tuning.json"
(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true) | tee -a "$out/run.log"
node --version | tee -a "$out/run.log"
# PyTorch on the same GPU as the training baseline, where python3 has CUDA.
if [ "$adapter" = native ] && [ -z "${PNEUMO_PYTHON:-}" ] &&
  python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  export PNEUMO_PYTHON=$(command -v python3) PNEUMO_TORCH_DEVICE=cuda
  log "PyTorch baseline: $PNEUMO_PYTHON on cuda"
fi

# 3. Correctness first, then speed. Each step is bounded so one hang cannot
# eat the machine's time.
status=0
run() {
  local name=$1 limit=$2; shift 2
  log "$name: $*"
  timeout "$limit" "$@" 2>&1 | grep -v '^Warning: maxDynamic' | tee "$out/$name.txt"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { log "$name exited $rc"; status=1; }
}
if [ "${QUICK:-0}" = 1 ]; then
  train_args=(--quick --steps 2 --tfjs-steps 1); kernel_args=(--only 'conv 64->128')
else
  train_args=(--steps 20 --tfjs-steps 5); kernel_args=()
fi
run train 200 node benchmarks/dist/train.js --adapter "$adapter" --verify "${train_args[@]}"
[ "${QUICK:-0}" = 1 ] || run train-resnet 120 node benchmarks/dist/train.js --adapter "$adapter" --model resnet --verify --steps 10
run kernels 150 node benchmarks/dist/kernels.js --adapter "$adapter" "${kernel_args[@]}"
# The CPU-shaped kernels on the same GPU, for comparison with the tiled ones.
run kernels-register 60 node benchmarks/dist/kernels.js --adapter "$adapter" --kernel-class llvmpipe --no-tfjs --only "${kernel_args[1]:-conv}"
cp benchmarks/results/*.json "$out/" 2>/dev/null || true
log "done (status $status); results in $out/"
exit "$status"
