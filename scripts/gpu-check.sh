#!/usr/bin/env bash
# The one script a session with a lent NVIDIA GPU runs (docs/devices.md#gpu-check-script), sized to
# finish within 8 minutes: devices; ort:webgpu on the NVIDIA Vulkan driver; ort:cuda/ort:tensorrt
# with provider libraries when a folder of them is here; a filtered conformance run; SingleStream and
# Offline on bert-base-128 and resnet-50; LLM decode of llama-3.2-1b float16 at batch 1 and 8 with the
# bandwidth roofline; the PyTorch adapter. Every step prints its exact command, its exit code and
# time, and writes its reports under --out; a step that fails does not stop the others.
#
#   scripts/gpu-check.sh [--out DIR] [--providers DIR] [--budget SECONDS] [--cpu-smoke]
#
# --cpu-smoke runs the same steps with CPU-sized models (tiny-bert, tiny-resnet, tiny-llama) on the
# devices this machine has, so the script is known to work before device time is spent on it.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT_DIR=""
PROVIDERS="${NPUVAL_ORT_PROVIDERS:-}"
BUDGET=400  # no step starts after this many seconds
HARD=470    # and none runs past this: the whole script stays under 8 minutes
SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT_DIR="$2"; shift 2 ;;
    --providers) PROVIDERS="$2"; shift 2 ;;
    --budget) BUDGET="$2"; HARD=$(( $2 + 70 )); shift 2 ;;
    --cpu-smoke) SMOKE=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
OUT_DIR="${OUT_DIR:-npuval-out/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT_DIR"
START=$(date +%s)
SUMMARY=()

# ---- prerequisites: say what is missing instead of failing in every step ----
if [ ! -f dist/harness/cli.js ]; then
  echo "+ npx tsc -p tsconfig.json   (dist/ is not built here)"
  npx tsc -p tsconfig.json || { echo "gpu-check: npuval does not build here (node_modules present? npm ci needs the npm registry)" >&2; exit 3; }
fi
NPUVAL=(node bin/npuval.js)

elapsed() { echo $(( $(date +%s) - START )); }

# step NAME TIMEOUT CMD...: prints the command, runs it with a timeout, records rc and seconds.
step() {
  local name="$1" limit="$2"; shift 2
  if [ "$(elapsed)" -ge "$BUDGET" ]; then
    echo; echo "=== $name: skipped, the ${BUDGET}s budget is spent"
    SUMMARY+=("$name|skipped (budget)|0"); return
  fi
  local left=$(( HARD - $(elapsed) ))
  [ "$limit" -gt "$left" ] && limit=$left
  echo; echo "=== $name"
  printf '+'; printf ' %q' "$@"; echo
  local t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$OUT_DIR/$name.log"
  local rc=${PIPESTATUS[0]}
  local dt=$(( $(date +%s) - t0 ))
  [ "$rc" = 124 ] && echo "($name: stopped by its ${limit}s timeout)"
  echo "--- $name: exit $rc in ${dt}s"
  SUMMARY+=("$name|$rc|$dt")
}

# ---- environment, recorded with the results ----
echo "=== environment ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "node $(node --version); onnxruntime-node $(node -p "require('onnxruntime-node/package.json').version" 2>/dev/null || echo '?')"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi: not found"
ldconfig -p 2>/dev/null | grep -oE 'lib(vulkan|cuda|cudart|cublas|cublasLt|cudnn|nvinfer)\.so\.[0-9]+' | sort -u | tr '\n' ' '; echo

# CUDA libraries from pip wheels (nvidia-*-cu12/13) are found only through LD_LIBRARY_PATH.
for d in $(python3 -c 'import nvidia, os; p = list(nvidia.__path__)[0]; print(" ".join(os.path.join(p, x, "lib") for x in sorted(os.listdir(p)) if os.path.isdir(os.path.join(p, x, "lib"))))' 2>/dev/null) /usr/local/nvidia/lib64; do
  [ -d "$d" ] && case ":${LD_LIBRARY_PATH:-}:" in *":$d:"*) ;; *) export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d" ;; esac
done
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"

# The NVIDIA Vulkan driver's manifest: where container runtimes mount the driver, else the host's.
NV_ICD=""
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$f" ] && { NV_ICD="$f"; break; }
done
# Provider libraries: --providers / NPUVAL_ORT_PROVIDERS, else an onnxruntime-gpu wheel's capi/ folder.
if [ -z "$PROVIDERS" ]; then
  PY_CAPI=$(python3 -c 'import onnxruntime, os; print(os.path.join(os.path.dirname(onnxruntime.__file__), "capi"))' 2>/dev/null || true)
  [ -n "$PY_CAPI" ] && [ -f "$PY_CAPI/libonnxruntime_providers_cuda.so" ] && PROVIDERS="$PY_CAPI"
fi
echo "NVIDIA Vulkan manifest: ${NV_ICD:-none found}; provider libraries: ${PROVIDERS:-none found}"

# ---- which devices to measure ----
if [ "$SMOKE" = 1 ]; then
  WEBGPU_ENV=()
  [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] && WEBGPU_ENV=(env VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json)
  BERT=tiny-bert RESNET=tiny-resnet LLM=tiny-llama LLM_DTYPE=float16 DURATION=1
else
  WEBGPU_ENV=()
  [ -n "$NV_ICD" ] && WEBGPU_ENV=(env "VK_DRIVER_FILES=$NV_ICD")
  BERT=bert-base-128 RESNET=resnet-50 LLM=llama-3.2-1b LLM_DTYPE=float16 DURATION=3
fi

step devices 90 "${WEBGPU_ENV[@]}" "${NPUVAL[@]}" devices --out "$OUT_DIR/devices"

# CUDA first: if the budget runs out, it is the WebGPU steps that are skipped.
DEVICES=()
available() { [ "$(elapsed)" -lt "$BUDGET" ] && "${WEBGPU_ENV[@]}" "${NPUVAL[@]}" devices --json --device "$1" >/dev/null 2>&1; }
if [ -n "$PROVIDERS" ]; then
  for ep in cuda tensorrt; do
    step "$ep" 120 "${NPUVAL[@]}" devices --device "ort:$ep?providers=$PROVIDERS"
    available "ort:$ep?providers=$PROVIDERS" && DEVICES+=("ort:$ep?providers=$PROVIDERS")
  done
else
  echo; echo "=== cuda: skipped, no provider libraries here (--providers DIR or NPUVAL_ORT_PROVIDERS; docs/devices.md#cuda)"
  SUMMARY+=("cuda|skipped (no provider libraries)|0")
fi
step webgpu 90 "${WEBGPU_ENV[@]}" "${NPUVAL[@]}" devices --device ort:webgpu
available ort:webgpu && DEVICES+=(ort:webgpu)
[ "$SMOKE" = 1 ] && DEVICES=(ort:cpu "${DEVICES[@]}")
echo; echo "devices measured: ${DEVICES[*]:-none}"

# ---- measurements, per device; the TensorRT EP builds an engine per graph and shape (minutes for
# bert/resnet), so it gets the conformance cases only ----
i=0
for dev in "${DEVICES[@]}"; do
  i=$((i + 1))
  run=("${NPUVAL[@]}")
  [ "$dev" = ort:webgpu ] && run=("${WEBGPU_ENV[@]}" "${NPUVAL[@]}")
  step "d$i-conformance" 120 "${run[@]}" conformance --device "$dev" --isolate --timeout 30 \
    --filter 'node/test_(add|sub|mul|div|relu|sigmoid|tanh|erf|softmax_.*|matmul_.*|gemm_.*|conv_.*|layer_normalization_.*|gelu_.*|transpose_.*)$' \
    --out "$OUT_DIR/d$i-conformance"
  case "$dev" in ort:tensorrt*) continue ;; esac
  # Latency first, then decode, then the longer Offline runs: what the budget cuts is the least needed.
  for model in "$BERT" "$RESNET"; do
    step "d$i-$model-single-stream" 120 "${run[@]}" bench --device "$dev" --model "$model" --scenario single-stream \
      --min-duration "$DURATION" --max-duration 40 --out "$OUT_DIR/d$i-$model-single-stream"
  done
  dtype=$LLM_DTYPE
  # SwiftShader has no shader-f16 ("Program Cast requires f16 but the device does not support it"); GPUs do.
  [ "$SMOKE" = 1 ] && [ "$dev" = ort:webgpu ] && dtype=float32
  step "d$i-llm-decode" 300 "${run[@]}" llm --device "$dev" --model "$LLM" --dtype "$dtype" --sweep-batch 1,8 \
    --prompt-len 64 --gen-len 32 --requests 8 --warmup-requests 1 --bandwidth --out "$OUT_DIR/d$i-llm-decode"
  for model in "$BERT" "$RESNET"; do
    step "d$i-$model-offline" 150 "${run[@]}" bench --device "$dev" --model "$model" --scenario offline --batch 1,8 \
      --min-duration "$DURATION" --max-duration 40 --out "$OUT_DIR/d$i-$model-offline"
  done
done

# ---- the PyTorch adapter (adapters/torch-py), when it is here ----
TORCH_SPEC="proc:python3 adapters/torch-py/main.py"
if [ -f adapters/torch-py/main.py ]; then
  step torch-devices 120 "${NPUVAL[@]}" devices --device "$TORCH_SPEC"
  if "${NPUVAL[@]}" devices --json --device "$TORCH_SPEC" >/dev/null 2>&1; then
    step torch-single-stream 150 "${NPUVAL[@]}" bench --device "$TORCH_SPEC" --model "$RESNET" --scenario single-stream \
      --min-duration "$DURATION" --max-duration 60 --out "$OUT_DIR/torch-single-stream"
  fi
else
  echo; echo "=== torch: skipped, adapters/torch-py/main.py is not in this checkout"
  SUMMARY+=("torch|skipped (no adapter)|0")
fi

echo; echo "=== summary ($(elapsed)s of a ${BUDGET}s budget; reports under $OUT_DIR)"
printf '%-40s %-34s %s\n' step exit seconds
for row in "${SUMMARY[@]}"; do IFS='|' read -r n rc dt <<<"$row"; printf '%-40s %-34s %s\n' "$n" "$rc" "$dt"; done
