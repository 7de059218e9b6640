#!/usr/bin/env bash
# The GPU checks in one prepared run, for a machine with a CUDA PyTorch wheel and no package
# registry (docs/gpu-build.md "Status"). Writes everything to $OUT (default ./gpu-out):
#  1. build: unpack the Debian packages of DEBS_DIR (scripts/fetch_gpu_debs.sh, run where apt
#     works) and build build-gpu/ against the wheel's LibTorch (scripts/build_gpu.sh);
#  2. CUDA correctness: the tiny decoder (dropout off, fp32) for 5 steps on CPU and on CUDA; the
#     SSA draws come from the same CPU generator, so the losses must agree (cuda_vs_cpu.txt);
#     Two bf16 runs with run.deterministic must log identical losses;
#  3. speed: the WT103 decoder (247M parameters) at T = 3072 in bf16, dense (S0) and SSA-L4 in
#     all 16 layers, batch 16 x 3072 tokens, on synthetic token ids (speed does not depend on
#     the text): step time, tokens/s, MFU and CUDA peak memory in summary.md;
#  4. with 2 or more GPUs, the same SSA run on 2 ranks over NCCL.
#   scripts/gpu_check.sh [DEBS_DIR]     STEPS (default 30), PEAK_TFLOPS (default 989) from the env
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$PWD/gpu-out}
debs=${1:-gpu-debs}
steps=${STEPS:-30}
mkdir -p "$out"
runs=/tmp/ssa_gpu_runs
rm -rf "$runs" && mkdir -p "$runs"
log() { echo "[gpu_check] $*" | tee -a "$out/progress.txt"; }

nvidia-smi > "$out/nvidia-smi.txt" 2>&1
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))' \
  > "$out/torch.txt" 2>&1
for tool in cmake g++ make; do command -v "$tool" > /dev/null || log "missing build tool: $tool"; done

deps=$PWD/build-gpu-deps
if [ -d "$debs" ]; then
  mkdir -p "$deps"
  for d in "$debs"/*.deb; do dpkg -x "$d" "$deps"; done
  export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
log "building"
start=$(date +%s)
if ! scripts/build_gpu.sh "$([ -d "$deps" ] && echo "$deps")" > "$out/build.log" 2>&1; then
  tail -40 "$out/build.log"; log "build failed"; exit 1
fi
log "built in $(( $(date +%s) - start )) s"
bin=build-gpu/ssa-train

log "CUDA vs CPU, tiny decoder"
docs_text="[$(ls docs/*.md | paste -sd, -)]"  # the fortunes package is not on that machine: our docs as bytes
tiny=(configs/test/tiny_decoder.yaml "data.train_paths=$docs_text" model.dropout=0 run.precision=fp32
      train.steps=5 eval.every=0 checkpoint.every=0 run.threads=8)
for device in cpu cuda; do
  "$bin" "${tiny[@]}" run.device=$device run.dir="$runs/tiny_$device" > "$out/tiny_$device.log" 2>&1 ||
    log "tiny $device failed (see tiny_$device.log)"
done
python3 - "$runs" > "$out/cuda_vs_cpu.txt" 2>&1 <<'EOF'
import json, sys
loss = lambda d: [json.loads(l)["loss"] for l in open(f"{sys.argv[1]}/tiny_{d}/metrics.jsonl") if '"train"' in l]
cpu, cuda = loss("cpu"), loss("cuda")
for step, (a, b) in enumerate(zip(cpu, cuda), 1):
    print(f"step {step}: cpu {a:.6f} cuda {b:.6f} relative difference {abs(a - b) / abs(a):.2e}")
EOF
cat "$out/cuda_vs_cpu.txt"

log "deterministic bf16 reruns, tiny decoder (goal R3)"
for rerun in a b; do
  "$bin" "${tiny[@]}" run.device=cuda run.precision=bf16 run.deterministic=true run.dir="$runs/det_$rerun" \
    > "$out/deterministic_$rerun.log" 2>&1 || log "deterministic run $rerun failed (see deterministic_$rerun.log)"
done
python3 - "$runs" > "$out/deterministic.txt" 2>&1 <<'EOF'
import json, sys
curve = lambda r: [(m["step"], m["loss"], m["grad_norm"]) for m in map(json.loads, open(f"{sys.argv[1]}/det_{r}/metrics.jsonl"))
                   if m["event"] == "train"]
a, b = curve("a"), curve("b")
print("deterministic reruns:", "identical losses and gradient norms" if a == b and a else f"differ: {a} vs {b}")
EOF
cat "$out/deterministic.txt"

log "synthetic WT103 token ids"
python3 -c 'import array, random; r = random.Random(0)
array.array("I", (r.randrange(4, 267744) for _ in range(4_000_000))).tofile(open("/tmp/ssa_gpu_tokens.u32", "wb"))'
speed=(data.train_paths=[/tmp/ssa_gpu_tokens.u32] data.valid_paths=[] run.device=cuda run.precision=bf16
       train.steps=$steps train.batch_size=16 train.micro_batch_size=4 train.lr_schedule.warmup_steps=5
       eval.every=0 eval.batches=1 checkpoint.every=0 log.every=1 log.progress=false)
for config in wt103_s0 wt103_s16_l4_ft; do
  log "speed: $config"
  "$bin" configs/paper/$config.yaml run.dir="$runs/$config" "${speed[@]}" > "$out/$config.log" 2>&1 ||
    log "$config failed (see $config.log)"
  cp "$runs/$config/metrics.jsonl" "$out/$config.metrics.jsonl" 2>/dev/null
done
python3 scripts/gpu_summary.py "$runs/wt103_s0" "$runs/wt103_s16_l4_ft" --peak-tflops "${PEAK_TFLOPS:-989}" \
  > "$out/summary.md" 2>&1
cat "$out/summary.md"

# 5. activation checkpointing: the 4 x 128 LLaMA-style decoder of set H at T = 8192 in bf16,
#    batch 1, dense and SSA-L4, without and with train.activation_checkpointing (step time and
#    CUDA peak memory, checkpointing.md). Prepared without a GPU: not yet run.
ckpt=(data.train_paths="$docs_text" data.seq_len=8192 run.device=cuda
      run.precision=bf16 train.steps=10 train.batch_size=1 train.lr_schedule.warmup_steps=2 eval.every=0
      checkpoint.every=0 log.every=1 log.progress=false)
for attention in dense ssa; do
  for ck in false true; do
    name=ckpt_${attention}_$ck
    log "checkpointing: $name"
    "$bin" configs/repro/literature_llama_t256_s0.yaml run.dir="$runs/$name" "${ckpt[@]}" \
      train.phases.0.attention=$attention train.activation_checkpointing=$ck > "$out/$name.log" 2>&1 ||
      log "$name failed (see $name.log)"
  done
done
python3 -c 'import json, statistics, sys
print("| attention | checkpointing | median step s | cuda_peak_mb |\n|---|---|---:|---:|")
for run in sys.argv[1:]:
    lines = [m for m in map(json.loads, open(run + "/metrics.jsonl")) if m.get("event") == "train"][2:]
    _, attention, ck = run.rsplit("/", 1)[1].split("_")
    print(f"| {attention} | {ck} | {statistics.median(m[\"step_time_s\"] for m in lines):.3f} | "
          f"{max(m.get(\"cuda_peak_mb\", 0) for m in lines):.0f} |")' "$runs"/ckpt_* > "$out/checkpointing.md" 2>&1
cat "$out/checkpointing.md"

if [ "$(nvidia-smi -L | wc -l)" -ge 2 ]; then
  log "2 ranks over NCCL"
  for r in 0 1; do
    RANK=$r WORLD_SIZE=2 LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=29612 \
      "$bin" configs/paper/wt103_s16_l4_ft.yaml run.dir="$runs/nccl" "${speed[@]}" train.steps=10 \
      > "$out/nccl_rank$r.log" 2>&1 &
  done
  wait
  grep -h "bitwise identical\|error" "$out"/nccl_rank*.log | tail -5
fi
log "done"
