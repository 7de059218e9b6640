#!/bin/bash
# train.activation_checkpointing through the real binary (docs/ssa.md): for every model family's
# test config (ALiBi and LLaMA-style decoders, the pixel decoder, Swin, ViT with micro-batches,
# EGT), an SSA phase then a dense fine-tune on the CPU in fp32 with fixed threads, the per-step
# losses and gradient norms and the final weights and optimizer state are bitwise those of the
# same run without it. Also under bf16 autocast with the dynamic loss scaler, on 2 Gloo ranks,
# and across a SIGKILL and resume.
#   activation_checkpointing_test.sh SSA_TRAIN REPO_ROOT
set -euo pipefail
bin=$1 repo=$2
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
fail() { echo "activation_checkpointing_test: $*" >&2; exit 1; }
steps=6
common=(train.steps=$steps train.lr_schedule.warmup_steps=2 eval.every=0 checkpoint.every=2 log.every=1 log.progress=false)

train() {  # NAME CONFIG [key=value ...]: trains into $work/NAME
  local name=$1
  shift
  "$bin" "$@" run.dir="$work/$name" "${common[@]}" > "$work/$name.log" 2>&1 ||
    fail "$name: training failed: $(tail -3 "$work/$name.log")"
}
steps_of() {  # RUN: every training step's (step, phase, loss, grad_norm)
  /usr/bin/python3 -c "import json, sys
print([(l['step'], l['phase'], l['loss'], l['grad_norm']) for l in map(json.loads, open(sys.argv[1]))
       if l.get('event') == 'train'])" "$work/$1/metrics.jsonl"
}
same() {  # A B: the same steps, phases, losses and gradient norms, and the same final state
  local a=$1 b=$2 last
  last=checkpoints/$(printf 'step_%08d' $steps)
  [ "$(steps_of "$a")" = "$(steps_of "$b")" ] || fail "$b: losses or gradient norms differ from $a:
$(steps_of "$a")
$(steps_of "$b")"
  grep -q "'finetune'" <<< "$(steps_of "$a")" && grep -q "'ssa'" <<< "$(steps_of "$a")" ||
    fail "$a: expected an SSA phase then a dense fine-tune"
  for f in model optimizer; do
    cmp -s "$work/$a/$last/$f.safetensors" "$work/$b/$last/$f.safetensors" || fail "$b: $f.safetensors differs from $a's"
  done
}
check() {  # NAME CONFIG [key=value ...]: with and without checkpointing
  local name=$1
  shift
  train "$name" "$@"
  train "${name}_checkpointed" "$@" train.activation_checkpointing=true
  same "$name" "${name}_checkpointed"
}

cfg=$repo/configs/test
check alibi "$cfg/tiny_decoder.yaml"
check llama "$cfg/tiny_decoder.yaml" model.flavor=llama-tiny
check pixels "$cfg/tiny_pixels.yaml"
check swin "$cfg/tiny_swin.yaml"
check vit "$cfg/tiny_vit.yaml"  # micro-batches of 16 in batches of 32
check egt "$cfg/tiny_egt.yaml"
check bf16 "$cfg/tiny_decoder.yaml" run.precision=bf16 train.loss_scale.mode=dynamic

# 2 Gloo ranks (torchrun's variables), each run once with and once without.
ranks() {  # NAME PORT [key=value ...]
  local name=$1 port=$2 pids=()
  shift 2
  for rank in 0 1; do
    RANK=$rank LOCAL_RANK=$rank WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$bin" "$cfg/tiny_decoder.yaml" run.threads=1 run.dir="$work/$name" "${common[@]}" "$@" \
      > "$work/$name.$rank.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || fail "$name: a rank failed: $(tail -3 "$work/$name.0.log")"; done
}
ranks ddp 29871
ranks ddp_checkpointed 29872 train.activation_checkpointing=true
same ddp ddp_checkpointed

# Killed in step 4 with checkpointing on (the newest checkpoint is step 2), resumed: the run
# ends as the uninterrupted one without checkpointing.
rc=0
SSA_FAULT=kill@4 "$bin" "$cfg/tiny_swin.yaml" run.dir="$work/killed" "${common[@]}" train.activation_checkpointing=true \
  > "$work/killed.log" 2>&1 || rc=$?
[ "$rc" = 137 ] || fail "the killed run exited $rc, not 137 (SIGKILL)"
train killed "$cfg/tiny_swin.yaml" train.activation_checkpointing=true
grep -q "resum" "$work/killed/train.log" || fail "the killed run did not resume from its checkpoint"
same swin killed
echo "activation_checkpointing_test: passed"
