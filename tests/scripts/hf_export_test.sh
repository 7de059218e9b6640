#!/bin/bash
# export --format hf and its import, through the real binary (docs/models.md):
#   - a LLaMA-style decoder trained 6 steps, exported in fp32, bf16 and fp16, single-file and
#     sharded: export(import(export(x))) is byte-identical, and an independent PyTorch forward
#     (hf_llama_crosscheck.py, which must fail with Meta's interleaved RoPE) gives our log-probabilities;
#   - the export continues training with SSA and +FT (run.init_from) and exports again;
#   - each bad input is refused with its exit code and writes nothing.
#   hf_export_test.sh SSA_TRAIN REPO_ROOT
set -euo pipefail
bin=$1 repo=$2
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cfg=$repo/configs/test/tiny_decoder.yaml
llama=(model.flavor=llama-tiny "data.valid_paths=[$work/valid.txt]")
fail() { echo "hf_export_test: $*" >&2; exit 1; }
head -c 3000 /usr/share/games/fortunes/fortunes | tail -c 1000 > "$work/valid.txt"
"$bin" "$cfg" "${llama[@]}" run.dir="$work/run" train.steps=6 eval.every=0 checkpoint.every=6 > /dev/null 2>&1 ||
  fail "training the llama-tiny run failed"

crosscheck() {  # DIR: our eval's per-example probabilities against the independent forward
  "$bin" eval "$cfg" "${llama[@]}" eval.batches=1 eval.batch_size=2 --checkpoint "$1" --per-example "$work/ex.csv" \
    > /dev/null 2>&1 || fail "eval --checkpoint $1 failed"
  /usr/bin/python3 "$repo/tests/scripts/hf_llama_crosscheck.py" "$1" "$work/valid.txt" "$work/ex.csv" ||
    fail "$1: log-probabilities differ from the independent forward"
}

for dtype in fp32 bf16 fp16; do
  for shard in 5GB 100KB; do
    out=$work/hf_${dtype}_$shard
    "$bin" export "$cfg" "${llama[@]}" --checkpoint "$work/run" --out "$out" --dtype $dtype --max-shard-size $shard 2>/dev/null
    "$bin" export "$cfg" "${llama[@]}" --checkpoint "$out" --out "$out.again" --dtype $dtype --max-shard-size $shard 2>/dev/null
    diff -r "$out" "$out.again" > /dev/null || fail "$dtype, shards of $shard: export(import(export)) differs"
  done
done
[ -f "$work/hf_fp32_100KB/model.safetensors.index.json" ] && [ -f "$work/hf_fp32_100KB/model-00002-of-00006.safetensors" ] ||
  fail "100KB shards: expected an index and 6 shards: $(ls "$work/hf_fp32_100KB")"
grep -q '"torch_dtype": "bfloat16"' "$work/hf_bf16_5GB/config.json" || fail "bf16 export: torch_dtype"
. /etc/os-release
if [ "${VERSION_ID:-}" != 12 ] && ! /usr/bin/python3 -c "import safetensors" 2> /dev/null; then
  fail "python3-safetensors is missing (scripts/install-deps.sh installs it on Debian 13)"
fi
if /usr/bin/python3 -c "import safetensors" 2> /dev/null; then  # Debian 13: Hugging Face's reader, every file
  /usr/bin/python3 -c "import sys; from safetensors.torch import load_file; [load_file(f) for f in sys.argv[1:]]" \
    "$work"/hf_*/*.safetensors || fail "python3-safetensors cannot read an export"
fi
crosscheck "$work/hf_fp32_5GB"
crosscheck "$work/hf_bf16_100KB"
/usr/bin/python3 "$repo/tests/scripts/hf_llama_crosscheck.py" "$work/hf_fp32_5GB" "$work/valid.txt" "$work/ex.csv" \
  --interleaved > /dev/null 2>&1 && fail "the crosscheck passes with the wrong RoPE layout: it cannot fail"

# model.from_checkpoint: the shape from config.json scores as the preset does; a differing key is named.
"$bin" eval "$cfg" "${llama[@]}" eval.batches=1 --checkpoint "$work/hf_fp32_5GB" 2> /dev/null | head -1 | cut -d, -f7- > "$work/preset.json"
"$bin" eval "$cfg" "data.valid_paths=[$work/valid.txt]" model.from_checkpoint=true eval.batches=1 \
  --checkpoint "$work/hf_fp32_5GB" 2> /dev/null | head -1 | cut -d, -f7- > "$work/imported.json"
[ -s "$work/preset.json" ] && cmp -s "$work/preset.json" "$work/imported.json" ||
  fail "model.from_checkpoint scores differently from model.flavor=llama-tiny: $(cat "$work/imported.json")"

# Continued training of the imported model (its shape from config.json): SSA, then the dense
# fine-tune, then export again.
"$bin" "$cfg" "data.valid_paths=[$work/valid.txt]" model.from_checkpoint=true run.dir="$work/continued" run.init_from="$work/hf_fp32_5GB" train.steps=8 eval.every=8 \
  checkpoint.every=8 > "$work/continued.log" 2>&1 || fail "training from the export failed: $(tail -3 "$work/continued.log")"
grep -q "initialized the weights from $work/hf_fp32_5GB" "$work/continued/train.log" || fail "init_from not logged"
"$bin" export "$cfg" "${llama[@]}" --checkpoint "$work/continued" --out "$work/continued_hf" 2>/dev/null ||
  fail "exporting the continued run failed"

# Directories another program wrote (hf_llama_crosscheck.py --write: transformers' config.json
# keys, its own index and 2 shards). Its own Llama, of a shape that is no preset of ours: eval
# with the shape from config.json gives the independent forward's log-probabilities, and it
# trains on with SSA and +FT. Our export's weights rewritten by it train exactly as our export.
writer=(/usr/bin/python3 "$repo/tests/scripts/hf_llama_crosscheck.py" --write)
"${writer[@]}" "$work/foreign" && "${writer[@]}" "$work/rewritten" "$work/hf_fp32_5GB"
foreign=("data.valid_paths=[$work/valid.txt]" model.from_checkpoint=true)
"$bin" eval "$cfg" "${foreign[@]}" eval.batches=1 eval.batch_size=2 --checkpoint "$work/foreign" \
  --per-example "$work/ex.csv" > /dev/null 2>&1 || fail "eval of the independently written directory failed"
/usr/bin/python3 "$repo/tests/scripts/hf_llama_crosscheck.py" "$work/foreign" "$work/valid.txt" "$work/ex.csv" ||
  fail "the independently written directory: log-probabilities differ from the independent forward"
"$bin" "$cfg" "${foreign[@]}" run.dir="$work/foreign_run" run.init_from="$work/foreign" train.steps=8 eval.every=8 \
  checkpoint.every=8 > "$work/foreign.log" 2>&1 || fail "training from the independent directory failed: $(tail -3 "$work/foreign.log")"
"$bin" "$cfg" "${foreign[@]}" run.dir="$work/rewritten_run" run.init_from="$work/rewritten" train.steps=8 eval.every=8 \
  checkpoint.every=8 > "$work/rewritten.log" 2>&1 || fail "training from the rewritten export failed"
losses() { /usr/bin/python3 -c "import json, sys; print([l['loss'] for l in map(json.loads, open(sys.argv[1])) if l.get('event') == 'train'])" "$1"; }
[ "$(losses "$work/continued/metrics.jsonl")" != "[]" ] &&
  [ "$(losses "$work/continued/metrics.jsonl")" = "$(losses "$work/rewritten_run/metrics.jsonl")" ] ||
  fail "our export rewritten by another writer trains differently from our export"

# A sentencepiece run also exports its tokenizer, with sentencepiece's <s> and </s> ids.
head -c 200000 /usr/share/games/fortunes/fortunes > "$work/corpus.txt"
if "$bin" prepare-data sentencepiece --input "$work/corpus.txt" --vocab-size 300 --out "$work/spm" > /dev/null 2>&1; then
  spm=(model.flavor=llama-tiny model.vocab_size=300 data.format=uint16 "data.train_paths=[$work/spm/train.u16]")
  "$bin" "$cfg" "${spm[@]}" run.dir="$work/spm_run" train.steps=6 eval.every=0 checkpoint.every=6 > /dev/null 2>&1 ||
    fail "training on sentencepiece ids failed"
  "$bin" export "$cfg" "${spm[@]}" --checkpoint "$work/spm_run" --out "$work/spm_hf" 2> /dev/null
  cmp -s "$work/spm_hf/tokenizer.model" "$work/spm/spm.model" || fail "tokenizer.model is not the run's spm.model"
  grep -q '"tokenizer_class": "LlamaTokenizer"' "$work/spm_hf/tokenizer_config.json" || fail "tokenizer_config.json"
  [ "$(head -3 "$work/spm/spm.vocab" | cut -f1 | tr '\n' ' ')" = "<unk> <s> </s> " ] &&
    grep -q '"bos_token_id": 1' "$work/spm_hf/config.json" && grep -q '"eos_token_id": 2' "$work/spm_hf/config.json" ||
    fail "bos/eos ids in config.json are not the vocabulary's <s> and </s>"
fi
[ ! -e "$work/hf_fp32_5GB/tokenizer.model" ] || fail "a byte-level export has a tokenizer"

expect() {  # CODE MESSAGE_PART COMMAND...: the command exits CODE naming MESSAGE_PART
  local code=$1 part=$2 rc=0
  shift 2
  "$@" > /dev/null 2> "$work/err" || rc=$?
  [ "$rc" = "$code" ] && grep -q -- "$part" "$work/err" || fail "expected exit $code with '$part', got $rc: $(cat "$work/err")"
}
bad() {  # NAME SOURCE PYTHON: a copy of export SOURCE changed by PYTHON (d = its path)
  rm -rf "${work:?}/$1" && cp -r "$work/$2" "$work/$1"
  /usr/bin/python3 -c "import json, os, struct; d = '$work/$1'; $3"
}
bad_config() {  # NAME PYTHON: config.json of the fp32 export changed by PYTHON (c = its dict)
  bad "$1" hf_fp32_5GB "c = json.load(open(d + '/config.json')); $2; json.dump(c, open(d + '/config.json', 'w'))"
}
bad_tensors() {  # NAME PYTHON: the fp32 export's model.safetensors rewritten after PYTHON edits h (its header)
  bad "$1" hf_fp32_5GB "
f = d + '/model.safetensors'; b = open(f, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n]); h.pop('__metadata__'); body = b[8 + n:]; $2
out, off = b'', 0
for v in h.values():
    s, e = v['data_offsets']; out += body[s:e]; v['data_offsets'] = [off, off + e - s]; off += e - s
t = json.dumps(h).encode(); open(f, 'wb').write(struct.pack('<Q', len(t)) + t + out)"
}
eval_on() { echo "$bin" eval "$cfg" "${llama[@]}" --checkpoint "$work/$1"; }
bad_config scaled "c['rope_scaling'] = {'rope_type': 'linear', 'factor': 2.0}"
expect 2 "rope_scaling is set" $(eval_on scaled)
bad_config biased "c['attention_bias'] = True"
expect 2 "attention_bias is true" $(eval_on biased)
bad_config mistral "c['architectures'] = ['MistralForCausalLM']"
expect 2 "architectures must be" $(eval_on mistral)
expect 2 "num_hidden_layers is 2 but the experiment's model has 3" $(eval_on hf_fp32_5GB) model.layers=3
expect 2 "model.d_ff: is 100 but" "$bin" eval "$cfg" model.from_checkpoint=true model.d_ff=100 --checkpoint "$work/hf_fp32_5GB"
expect 2 "model.from_checkpoint: names no checkpoint" "$bin" check "$cfg" model.from_checkpoint=true
bad_tensors missing "h.pop('model.norm.weight')"
expect 2 "1 missing (model.norm.weight)" $(eval_on missing)
bad_tensors extra "h['model.extra.weight'] = dict(h['model.norm.weight'])"
expect 2 "1 not in the model (model.extra.weight)" $(eval_on extra)
bad truncated hf_fp32_100KB "f = d + '/model-00003-of-00006.safetensors'; os.truncate(f, os.path.getsize(f) - 100)"
expect 3 "model-00003-of-00006.safetensors" $(eval_on truncated)
bad lost hf_fp32_100KB "os.remove(d + '/model-00002-of-00006.safetensors')"
expect 3 "names model-00002-of-00006.safetensors, which is not in" $(eval_on lost)
expect 2 "model.position is not rope" "$bin" export "$cfg" --checkpoint "$work/run" --out "$work/alibi_hf"
[ ! -e "$work/alibi_hf" ] && [ ! -e "$work/alibi_hf.partial" ] || fail "a refused export wrote files"
expect 2 "1 missing (model.norm.weight)" "$bin" "$cfg" "${llama[@]}" run.dir="$work/refused" run.init_from="$work/missing"
[ ! -e "$work/refused" ] || fail "a refused run.init_from created the run directory"
expect 3 "model-00003-of-00006.safetensors" "$bin" "$cfg" "${llama[@]}" run.dir="$work/refused" run.init_from="$work/truncated"
[ ! -e "$work/refused" ] || fail "a truncated run.init_from created the run directory"
echo "hf_export_test: passed"
