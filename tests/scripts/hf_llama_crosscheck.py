#!/usr/bin/python3
"""Checks an exported Hugging Face LLaMA directory against an implementation we did not share code
with: the forward of transformers' LlamaForCausalLM, written here from its documented semantics
(names, RMSNorm with eps, rotate_half RoPE with inv_freq = theta^(-2i/D), repeat_kv for grouped
keys and values, SwiGLU down(silu(gate) * up), lm_head or the tied embedding), in float64 from the
directory's files alone (python3-safetensors when installed, Debian 13; else a reader here).

  hf_llama_crosscheck.py HF_DIR VALID_FILE PER_EXAMPLE_CSV [--interleaved]
  hf_llama_crosscheck.py --write OUT_DIR [SOURCE_DIR]

--write is the independent writer: a Llama-architecture directory as another program writes
it (transformers' config.json keys, its own index and 2 shards, tensors in Hugging Face's module
order), holding SOURCE_DIR's weights, or without one a model initialised here (normal(0, 0.02)
weights, unit norms; vocab 256, 2 layers of 64, 4 heads sharing 2 kv heads, SwiGLU 128, untied).

PER_EXAMPLE_CSV is `ssa-train eval --per-example` on VALID_FILE (byte-level, eval.context 0):
row (example e, position p) is the probability of byte e*T + p + 1 after bytes e*T .. e*T + p.
Exits 1 when a log-probability differs by more than the tolerance. --interleaved rotates
Meta's interleaved pairs instead (the self-test: that must fail).
"""
import csv
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

# ssa-train computes in float32 and prints probabilities with 6 significant digits: 5e-6 relative
# (log error 5e-6). Its float32 forward: logits of |z| <= ~10 through 2 layers of 64-wide dot
# products, each rounding ~6e-8 relative: about 64 * 2 * 10 * 6e-8 = 8e-5 in a log-softmax. So:
TOLERANCE = 1e-4 + 5e-6


def read_safetensors(path):
    return {k: v.to(torch.float64) for k, v in safetensors_io.read_safetensors(path).items()}


def read_directory(directory):
    index = os.path.join(directory, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(os.path.join(directory, "model.safetensors"))
    weights = {}
    for file in sorted(set(json.load(open(index))["weight_map"].values())):
        weights.update(read_safetensors(os.path.join(directory, file)))
    return weights


def rms_norm(x, weight, eps):
    return weight * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope(x, theta, interleaved):
    """x: (H, T, D) rotated at positions 0..T-1."""
    d, t = x.shape[-1], x.shape[-2]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    angles = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)  # (T, D/2)
    if interleaved:  # Meta's original layout: pairs (2i, 2i+1)
        pairs = x.reshape(*x.shape[:-1], d // 2, 2)
        a, b = pairs[..., 0], pairs[..., 1]
        return torch.stack((a * angles.cos() - b * angles.sin(), a * angles.sin() + b * angles.cos()), -1).flatten(-2)
    emb = torch.cat((angles, angles), dim=-1)
    return x * emb.cos() + rotate_half(x) * emb.sin()


def forward(w, cfg, tokens, interleaved=False):
    """tokens: (T) -> log-probabilities (T, V)."""
    heads, kv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["hidden_size"]
    hd, eps, theta = d // heads, cfg["rms_norm_eps"], cfg["rope_theta"]
    t = len(tokens)
    x = w["model.embed_tokens.weight"][tokens]
    causal = torch.full((t, t), float("-inf"), dtype=torch.float64).triu(1)
    for n in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{n}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(t, heads, hd).transpose(0, 1)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(t, kv, hd).transpose(0, 1)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(t, kv, hd).transpose(0, 1)
        q, k = rope(q, theta, interleaved), rope(k, theta, interleaved)
        k, v = k.repeat_interleave(heads // kv, 0), v.repeat_interleave(heads // kv, 0)  # repeat_kv
        attn = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd) + causal, -1) @ v  # (H, T, hd)
        x = x + attn.transpose(0, 1).reshape(t, d) @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate, up = h @ w[p + "mlp.gate_proj.weight"].T, h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return torch.log_softmax(x @ head.T, -1)


def initialised_here():
    """A random Llama of the documented names and shapes (what a user might download)."""
    cfg = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2, "vocab_size": 256, "rope_theta": 10000.0, "rms_norm_eps": 1e-05,
           "tie_word_embeddings": False}
    g = torch.Generator().manual_seed(7)
    d, kv, ff, v = 64, 2 * 16, 128, 256
    normal = lambda *shape: torch.randn(*shape, generator=g) * 0.02  # noqa: E731
    w = {"model.embed_tokens.weight": normal(v, d)}
    for n in range(2):
        p = f"model.layers.{n}."
        w.update({p + "self_attn.q_proj.weight": normal(d, d), p + "self_attn.k_proj.weight": normal(kv, d),
                  p + "self_attn.v_proj.weight": normal(kv, d), p + "self_attn.o_proj.weight": normal(d, d),
                  p + "mlp.gate_proj.weight": normal(ff, d), p + "mlp.up_proj.weight": normal(ff, d),
                  p + "mlp.down_proj.weight": normal(d, ff), p + "input_layernorm.weight": torch.ones(d),
                  p + "post_attention_layernorm.weight": torch.ones(d)})
    w.update({"model.norm.weight": torch.ones(d), "lm_head.weight": normal(v, d)})
    return cfg, w


def write_directory(out, source=None):
    if source:
        cfg = json.load(open(os.path.join(source, "config.json")))
        weights = {k: v.to(torch.float32) for k, v in read_directory(source).items()}
    else:
        cfg, weights = initialised_here()
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False,
              "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
              "initializer_range": 0.02, "max_position_embeddings": 2048, "mlp_bias": False,
              "pretraining_tp": 1, "rope_scaling": None, "torch_dtype": "float32",
              "transformers_version": "4.46.0", "use_cache": True}
    config.update({k: cfg[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                       "num_attention_heads", "num_key_value_heads", "vocab_size", "rope_theta",
                                       "rms_norm_eps", "tie_word_embeddings")})
    os.makedirs(out)
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
    names = list(weights)
    half = len(names) // 2
    weight_map, total = {}, 0
    for i, part in enumerate((names[:half], names[half:])):
        file = f"model-{i + 1:05d}-of-00002.safetensors"
        safetensors_io.write_safetensors(os.path.join(out, file), {k: weights[k] for k in part})
        for k in part:
            weight_map[k] = file
            total += weights[k].numel() * weights[k].element_size()
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    json.dump(index, open(os.path.join(out, "model.safetensors.index.json"), "w"), indent=2)


def main():
    if sys.argv[1:2] == ["--write"] and len(sys.argv) in (3, 4):
        return write_directory(*sys.argv[2:])
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    directory, valid, table = sys.argv[1:4]
    interleaved = sys.argv[4:] == ["--interleaved"]
    cfg = json.load(open(os.path.join(directory, "config.json")))
    assert cfg["architectures"] == ["LlamaForCausalLM"] and cfg.get("rope_scaling") is None
    weights = read_directory(directory)
    stream = list(open(valid, "rb").read())
    rows = list(csv.DictReader(open(table)))
    t = max(int(r["position"]) for r in rows) + 1
    worst, cache = 0.0, {}
    for r in rows:
        e, p, target = int(r["example"]), int(r["position"]), int(r["target"])
        assert stream[e * t + p + 1] == target, f"row {r}: target is not byte {e * t + p + 1}"
        if e not in cache:
            cache[e] = forward(weights, cfg, stream[e * t:e * t + t], interleaved)
        ours = math.log(float(r["dense_target_probability"]))
        worst = max(worst, abs(ours - float(cache[e][p, target])))
    print(f"{len(rows)} log-probabilities, largest difference {worst:.3g} (tolerance {TOLERANCE:.3g})")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
