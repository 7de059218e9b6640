#!/bin/bash
# export --format torchvision and its import, through the real binary, against Debian's
# python3-torchvision (docs/models.md, "torchvision files"):
#   - a tiny ViT and a tiny Swin trained with SSA then dense, exported in fp32, bf16 and fp16:
#     export(import(export(x))) is byte-identical; each loads with strict=True into torchvision's
#     model, whose log-softmax on the inputs `ssa-train predict` saved equals ours (the bound is
#     derived in torchvision_crosscheck.py; a swapped layout must fail it);
#   - models torchvision initialised (vit_b_16, swin_t and the tiny shapes), saved by our own
#     Python writer: ssa-train predicts torchvision's log-probabilities, model.from_checkpoint
#     takes the shape from the JSON, and ssa-train's export of them has the same tensors;
#   - continued training (SSA, +FT) of a torchvision-written ViT, exported again;
#   - each bad input is refused with its exit code and writes nothing.
#   torchvision_test.sh SSA_TRAIN REPO_ROOT
set -euo pipefail
bin=$1 repo=$2
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
fail() { echo "torchvision_test: $*" >&2; exit 1; }
/usr/bin/python3 -c "import torchvision" 2> /dev/null ||
  fail "python3-torchvision is missing (scripts/install-deps.sh installs it)"
tv=(/usr/bin/python3 "$repo/tests/scripts/torchvision_crosscheck.py")
"${tv[@]}" images "$work/images"
vit=("$repo/configs/test/tiny_imagenet_vit.yaml" data.root="$work/images")
swin=("$repo/configs/test/tiny_imagenet.yaml" data.root="$work/images" train.steps=6 eval.every=6 checkpoint.every=6)
printf 'run: {threads: 2}\ndata: {dataset: imagenet, root: %s}\nmodel: {from_checkpoint: true}\n' "$work/images" \
  > "$work/from_checkpoint.yaml"

compare() {  # CONFIG... -- WEIGHTS: our predictions from WEIGHTS against torchvision's
  local args=() weights
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  weights=$2
  rm -f "$work/pred.safetensors"
  "$bin" predict "${args[@]}" --checkpoint "$weights" --out "$work/pred.safetensors" --examples 6 > /dev/null 2>&1 ||
    fail "predict --checkpoint $weights failed"
  "${tv[@]}" compare "$weights" "$work/pred.safetensors" || fail "$weights: torchvision's log-probabilities differ"
}

for name in vit swin; do
  declare -n cfg=$name
  "$bin" "${cfg[@]}" run.dir="$work/run_$name" > /dev/null 2>&1 || fail "training the tiny $name failed"
  for dtype in fp32 bf16 fp16; do
    out=$work/${name}_$dtype.safetensors
    "$bin" export "${cfg[@]}" --checkpoint "$work/run_$name" --format torchvision --dtype $dtype --out "$out" 2> /dev/null
    "$bin" export "${cfg[@]}" --checkpoint "$out" --format torchvision --dtype $dtype --out "$work/again.safetensors" 2> /dev/null
    cmp -s "$out" "$work/again.safetensors" && cmp -s "${out%.safetensors}.json" "$work/again.json" ||
      fail "$name $dtype: export(import(export)) differs"
    rm "$work/again.safetensors" "$work/again.json"
    compare "${cfg[@]}" -- "$out"
  done
  rm -f "$work/pred.safetensors"
  "$bin" predict "${cfg[@]}" --checkpoint "$work/run_$name" --out "$work/pred.safetensors" > /dev/null 2>&1
  "${tv[@]}" compare "$work/${name}_fp32.safetensors" "$work/pred.safetensors" > /dev/null ||
    fail "$name: the export does not predict as the run's checkpoint does"
  "${tv[@]}" compare "$work/${name}_fp32.safetensors" "$work/pred.safetensors" --wrong-layout > /dev/null &&
    fail "$name: the crosscheck passes with a swapped layout: it cannot fail"
done

# Written by torchvision's models (our Python writer): predicted as torchvision does, the shape
# from the JSON, and exported back to the same tensors.
for model in vit_tiny swin_tiny vit_b_16 swin_t; do
  "${tv[@]}" write $model "$work/$model.safetensors"
  compare "$work/from_checkpoint.yaml" -- "$work/$model.safetensors"
  "$bin" export "$work/from_checkpoint.yaml" --checkpoint "$work/$model.safetensors" --format torchvision \
    --out "$work/${model}_back.safetensors" 2> /dev/null || fail "exporting the torchvision-written $model failed"
  "${tv[@]}" same "$work/$model.safetensors" "$work/${model}_back.safetensors" > /dev/null ||
    fail "$model: ssa-train's export of a torchvision file has other tensors"
  grep -q "\"builder\": $( [ "${model%_tiny}" = "$model" ] && echo "\"$model\"" || echo null )" "$work/${model}_back.json" ||
    fail "$model: the export names the wrong builder: $(grep builder "$work/${model}_back.json")"
done
compare "${vit[@]}" -- "$work/vit_tiny.safetensors"  # the same shape, given in the YAML

# Continued training of the torchvision-written ViT: SSA, then the dense fine-tune, then export.
"$bin" "${vit[@]}" run.dir="$work/continued" run.init_from="$work/vit_tiny.safetensors" > "$work/log" 2>&1 ||
  fail "training from the torchvision file failed: $(tail -3 "$work/log")"
grep -q "initialized the weights from $work/vit_tiny.safetensors" "$work/continued/train.log" || fail "init_from not logged"
"$bin" export "${vit[@]}" --checkpoint "$work/continued" --format torchvision --out "$work/continued.safetensors" \
  2> /dev/null || fail "exporting the continued run failed"
compare "${vit[@]}" -- "$work/continued.safetensors"

expect() {  # CODE MESSAGE_PART COMMAND...: the command exits CODE naming MESSAGE_PART
  local code=$1 part=$2 rc=0
  shift 2
  "$@" > /dev/null 2> "$work/err" || rc=$?
  [ "$rc" = "$code" ] && grep -qF -- "$part" "$work/err" || fail "expected exit $code with '$part', got $rc: $(cat "$work/err")"
}
bad() {  # NAME PYTHON: a copy of the tiny ViT export whose tensors t (a dict) PYTHON changed
  cp "$work/vit_fp32.json" "$work/$1.json"
  /usr/bin/python3 -c "import sys; sys.path.insert(0, '$repo/tests/scripts'); import safetensors_io as s, torch
t = s.read_safetensors('$work/vit_fp32.safetensors'); $2; s.write_safetensors('$work/$1.safetensors', t)"
}
ex() { echo "$bin" export "$@" --format torchvision; }
expect 2 "reads 3-channel images; model.in_channels is 1" \
  $(ex "$repo/configs/test/tiny_vit.yaml" --checkpoint "$work/run_vit" --out "$work/refused.safetensors")
expect 2 "reads out a class token" $(ex "${vit[@]}" model.pool=mean --checkpoint "$work/run_vit" --out "$work/refused.safetensors")
expect 2 "smaller than model.window_size 8" \
  $(ex "${swin[@]}" model.window_size=8 --checkpoint "$work/run_swin" --out "$work/refused.safetensors")
[ ! -e "$work/refused.safetensors" ] && [ ! -e "$work/refused.json" ] || fail "a refused export wrote files"
expect 2 "exists; export writes new files" $(ex "${vit[@]}" --checkpoint "$work/run_vit" --out "$work/vit_fp32.safetensors")
expect 2 "only a LLaMA-style decoder" "$bin" export "${vit[@]}" --checkpoint "$work/run_vit" --out "$work/refused_hf"
pred() { echo "$bin" predict "$@" --out "$work/refused.safetensors"; }
expect 2 "class is VisionTransformer but the experiment's model is a SwinTransformer" \
  $(pred "${swin[@]}" --checkpoint "$work/vit_fp32.safetensors")
expect 2 "kwargs.hidden_dim is 32 but the experiment's model has 64" \
  $(pred "${vit[@]}" model.dim=64 --checkpoint "$work/vit_fp32.safetensors")
expect 2 "image_size is 32 but the experiment's model.image_size is 64" \
  $(pred "${swin[@]}" model.image_size=64 --checkpoint "$work/swin_fp32.safetensors")
expect 2 "model.depths: is [2, 3] but" $(pred "$work/from_checkpoint.yaml" "model.depths=[2,3]" --checkpoint "$work/swin_tiny.safetensors")
bad missing "t.pop('encoder.ln.weight')"
expect 2 "1 missing (encoder.ln.weight)" $(pred "${vit[@]}" --checkpoint "$work/missing.safetensors")
bad extra "t['encoder.extra'] = t['encoder.ln.weight']"
expect 2 "1 not in the model (encoder.extra)" $(pred "${vit[@]}" --checkpoint "$work/extra.safetensors")
bad reshaped "t['class_token'] = torch.zeros(1, 2, 32)"
expect 2 "1 of another shape (class_token" $(pred "${vit[@]}" --checkpoint "$work/reshaped.safetensors")
cp "$work/swin_fp32.json" "$work/index.json"
/usr/bin/python3 -c "import sys; sys.path.insert(0, '$repo/tests/scripts'); import safetensors_io as s
t = s.read_safetensors('$work/swin_fp32.safetensors'); k = 'features.1.0.attn.relative_position_index'
t[k] = t[k].flip(0).clone(); s.write_safetensors('$work/index.safetensors', t)"
expect 2 "is not the relative position index of a 16-token window" $(pred "${swin[@]}" --checkpoint "$work/index.safetensors")
cp "$work/vit_fp32.safetensors" "$work/truncated.safetensors" && cp "$work/vit_fp32.json" "$work/truncated.json"
truncate -s -100 "$work/truncated.safetensors"
expect 3 "truncated.safetensors" $(pred "${vit[@]}" --checkpoint "$work/truncated.safetensors")
expect 2 "1 missing (encoder.ln.weight)" "$bin" "${vit[@]}" run.dir="$work/refused" run.init_from="$work/missing.safetensors"
[ ! -e "$work/refused" ] || fail "a refused run.init_from created the run directory"
expect 3 "truncated.safetensors" "$bin" "${vit[@]}" run.dir="$work/refused" run.init_from="$work/truncated.safetensors"
[ ! -e "$work/refused" ] || fail "a truncated run.init_from created the run directory"
echo "torchvision_test: passed"
