#!/usr/bin/python3
"""The PyTorch Python half of the like-for-like training-step comparison with
bench/train_step_bench.cpp: the same pre-LN ALiBi decoder (byte vocabulary, untied output, final
LayerNorm, exact GELU, no dropout), the same fixed batch, the same step (summed NLL / tokens,
backward, clip to 1.0, AdamW lr 1e-3 betas (0.9, 0.98) weight decay 0.01), written the way a
nanoGPT-style PyTorch model is: an ALiBi + causal bias buffer built once; attention op by op on
PyTorch 1.x, and on 2.x F.scaled_dot_product_attention(q, k, v, attn_mask=bias), as a user writes
it today. --attention ssa runs causal locally biased SSA-L4 (sigma 0.1 -> 0.25 of T over the
layers), as ours: per window, the top-scoring T/4 of position + sigma * noise below the window's
end. --attention fastest is the bar SSA must clear: dense with is_causal=True and no ALiBi
(another function, so no same-function check), PyTorch's fastest dense attention.

--flavor llama builds the LLaMA-style decoder instead (RoPE with theta 10000 in Hugging Face's
rotate_half convention, RMSNorm eps 1e-5, a SwiGLU feed-forward, --kv-heads key/value heads
shared by groups of query heads, no biases, no embedding scale): SSA gathers keys and values once
per kv head, and only the causal mask is applied (no bias tensor).

--weights loads the C++ side's initial weights (its --weights-out) and prints the first loss on
them, which must equal the C++ first loss: the two are then the same function. Prints one JSON
line with the median step and the medians of its parts (forward + loss, backward, clip + AdamW).
--profile-out FILE then runs --reps more steps under PyTorch's profiler and writes the 40 ops of
largest self CPU time per step as JSON lines, as train_step_bench --profile-out does. Needs Debian's python3-torch (the same LibTorch as the C++ build: 1.13 on Debian 12, 2.6 on 13) and python3-numpy.

  bench/pytorch_train_step.py [--threads N] [--length T] [--batch B] [--layers L] [--d-model C]
      [--heads H] [--d-ff F] [--attention dense|ssa|fastest] [--reps R] [--weights model.safetensors]
      [--flavor alibi|llama] [--kv-heads K] [--profile-out FILE]
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def alibi_slopes(heads):
    """As lib/nn/alibi.cpp: geometric slopes for the largest power of two, then every other
    slope of twice that many."""
    p = 1
    while p * 2 <= heads:
        p *= 2
    start = 2.0 ** (-8.0 / p)
    slopes = [start ** h for h in range(1, p + 1)]
    if p < heads:
        slopes += alibi_slopes(2 * p)[0::2][: heads - p]
    return slopes


def causal_alibi(slopes, targets, sources):
    """targets (G, Tq), sources (G, S) positions -> (H, G, Tq, S): -m (i - j), -inf where j > i."""
    rel = (targets.unsqueeze(-1) - sources.unsqueeze(-2)).float()
    bias = -slopes.view(-1, 1, 1, 1) * rel.unsqueeze(0)
    return bias.masked_fill((rel < 0).unsqueeze(0), float("-inf"))


def causal_local_sources(length, windows, sigma, generator):
    """(n_w, T/n_w) sorted source positions: per window, the T/n_w largest of position + sigma * noise
    among positions below the window's end."""
    w = length // windows
    positions = torch.arange(length, dtype=torch.float64)
    scores = positions + torch.randn(windows, length, generator=generator, dtype=torch.float64) * sigma
    ends = (torch.arange(windows) + 1) * w
    scores = scores.masked_fill(positions.unsqueeze(0) >= ends.unsqueeze(1), float("-inf"))
    return scores.topk(w, dim=-1, sorted=False).indices.sort(-1).values


SDPA = hasattr(F, "scaled_dot_product_attention")  # PyTorch 2.x


def attend(q, k, v, bias):
    """softmax(q k^T / sqrt(D) + bias) v; bias None: causal, no ALiBi (is_causal, the fastest kernel)."""
    if SDPA:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, is_causal=bias is None)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)) + bias
    return F.softmax(scores, dim=-1) @ v


class Block(nn.Module):
    def __init__(self, d_model, heads, d_ff):
        super().__init__()
        self.heads = heads
        self.attn_norm = nn.LayerNorm(d_model)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(d_model, 3 * d_model)
        self.attn.out = nn.Linear(d_model, d_model)
        self.ffn_norm = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)

    def attention(self, x, dense_bias, sources):
        b, t, c = x.shape
        h, d = self.heads, c // self.heads
        q, k, v = self.attn.qkv(x).view(b, t, 3, h, d).permute(2, 0, 3, 1, 4).unbind(0)  # (B, H, T, D)
        if sources is None:
            y = attend(q, k, v, dense_bias)                                    # (B, H, T, D)
        else:
            g, s = sources.shape
            k_s = k.index_select(2, sources.reshape(-1)).view(b, h * g, s, d)  # (B, H*G, S, D)
            v_s = v.index_select(2, sources.reshape(-1)).view(b, h * g, s, d)
            q_w = q.reshape(b, h * g, t // g, d)                               # (B, H*G, Tq, D)
            targets = torch.arange(t).view(g, t // g)
            bias = causal_alibi(self.slopes, targets, sources).view(1, h * g, t // g, s)  # (1, H*G, Tq, S)
            y = attend(q_w, k_s, v_s, bias).reshape(b, h, t, d)
        return self.attn.out(y.transpose(1, 2).reshape(b, t, c))

    def forward(self, x, dense_bias, sources):
        x = x + self.attention(self.attn_norm(x), dense_bias, sources)
        return x + self.fc2(F.gelu(self.fc1(self.ffn_norm(x))))


def rope(x, theta=10000.0):
    """x (B, H, T, D) rotated at positions 0..T-1: channel pairs (i, i + D/2) by t * theta^(-2i/D)."""
    d = x.size(-1)
    inv_freq = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d)
    angles = torch.arange(x.size(2), dtype=torch.float32).unsqueeze(1) * inv_freq.unsqueeze(0)  # (T, D/2)
    both = torch.cat([angles, angles], -1)
    rotated = torch.cat([-x[..., d // 2:], x[..., : d // 2]], -1)
    return x * both.cos() + rotated * both.sin()


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def causal_mask(targets, sources):
    """targets (G, Tq), sources (G, S) -> (1, G, Tq, S) additive: 0, or -inf where j > i."""
    future = sources.unsqueeze(1) > targets.unsqueeze(2)
    return torch.zeros(future.shape).masked_fill(future, float("-inf")).unsqueeze(0)


class LlamaBlock(nn.Module):
    def __init__(self, d_model, heads, kv_heads, d_ff):
        super().__init__()
        self.heads, self.kv_heads = heads, kv_heads
        kv = kv_heads * (d_model // heads)
        self.attn_norm = RMSNorm(d_model)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(d_model, d_model + 2 * kv, bias=False)
        self.attn.out = nn.Linear(d_model, d_model, bias=False)
        self.ffn_norm = RMSNorm(d_model)
        self.fc1 = nn.Linear(d_model, d_ff, bias=False)
        self.fc_up = nn.Linear(d_model, d_ff, bias=False)
        self.fc2 = nn.Linear(d_ff, d_model, bias=False)

    def attention(self, x, dense_bias, sources):
        b, t, c = x.shape
        h, hk, d = self.heads, self.kv_heads, c // self.heads
        q, k, v = self.attn.qkv(x).split([h * d, hk * d, hk * d], -1)
        q, k, v = (part.view(b, t, -1, d).transpose(1, 2) for part in (q, k, v))  # (B, H or Hkv, T, D)
        q, k = rope(q), rope(k)
        if sources is None:
            k, v = k.repeat_interleave(h // hk, 1), v.repeat_interleave(h // hk, 1)
            y = attend(q, k, v, dense_bias)
        else:
            g, s = sources.shape
            k_s = k.index_select(2, sources.reshape(-1)).repeat_interleave(h // hk, 1).view(b, h * g, s, d)
            v_s = v.index_select(2, sources.reshape(-1)).repeat_interleave(h // hk, 1).view(b, h * g, s, d)
            q_w = q.reshape(b, h * g, t // g, d)
            mask = causal_mask(torch.arange(t).view(g, t // g), sources).expand(h, g, t // g, s).reshape(1, h * g, t // g, s)
            y = attend(q_w, k_s, v_s, mask).reshape(b, h, t, d)
        return self.attn.out(y.transpose(1, 2).reshape(b, t, c))

    def forward(self, x, dense_bias, sources):
        x = x + self.attention(self.attn_norm(x), dense_bias, sources)
        h = self.ffn_norm(x)
        return x + self.fc2(F.silu(self.fc1(h)) * self.fc_up(h))


class LlamaDecoder(nn.Module):
    def __init__(self, layers, d_model, heads, kv_heads, d_ff, vocab=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.blocks = nn.ModuleList(LlamaBlock(d_model, heads, kv_heads, d_ff) for _ in range(layers))
        self.final_norm = RMSNorm(d_model)
        self.output = nn.Linear(d_model, vocab, bias=False)

    def forward(self, tokens, dense_bias, sources_per_layer):
        x = self.embed(tokens)
        for block, sources in zip(self.blocks, sources_per_layer):
            x = block(x, dense_bias, sources)
        return self.output(self.final_norm(x))  # (B, T, V)


class Decoder(nn.Module):
    def __init__(self, layers, d_model, heads, d_ff, vocab=256):
        super().__init__()
        self.d_model = d_model
        self.embed = nn.Embedding(vocab, d_model)
        self.blocks = nn.ModuleList(Block(d_model, heads, d_ff) for _ in range(layers))
        self.final_norm = nn.LayerNorm(d_model)
        self.output = nn.Linear(d_model, vocab, bias=False)
        self.slopes = torch.tensor(alibi_slopes(heads))
        for block in self.blocks:
            block.slopes = self.slopes

    def forward(self, tokens, dense_bias, sources_per_layer):
        x = self.embed(tokens) * math.sqrt(self.d_model)
        for block, sources in zip(self.blocks, sources_per_layer):
            x = block(x, dense_bias, sources)
        return self.output(self.final_norm(x))  # (B, T, V)


def fixed_batch(batch, length):
    """As fixed_batch() in train_step_bench.cpp."""
    b = torch.arange(batch).unsqueeze(1)
    t = torch.arange(length + 1).unsqueeze(0)
    tokens = (b * 7919 + t * 31 + (t * t).remainder(17)).remainder(256)
    return tokens[:, :length].contiguous(), tokens[:, 1:].contiguous()


def load_weights(model, path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
    import read_safetensors
    weights = {name: torch.from_numpy(array.copy()) for name, array in read_safetensors.load(path).items()}
    model.load_state_dict(weights, strict=True)


def write_profile(train_step, steps, path):
    """`steps` more steps under the autograd profiler; the 40 largest self CPU times per step."""
    with torch.autograd.profiler.profile() as prof:
        for _ in range(steps):
            train_step()
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)[:40]
    with open(path, "w") as out:
        for e in rows:
            out.write(json.dumps({"op": e.key, "self_ms": round(e.self_cpu_time_total / 1000 / steps, 2),
                                  "calls": e.count / steps}) + "\n")


def main():
    p = argparse.ArgumentParser()
    for name, default in [("threads", 2), ("length", 512), ("batch", 8), ("layers", 4), ("d-model", 128),
                          ("heads", 4), ("d-ff", 512), ("reps", 5)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--attention", choices=["dense", "ssa", "fastest"], default="dense")
    p.add_argument("--weights")
    p.add_argument("--flavor", choices=["alibi", "llama"], default="alibi")
    p.add_argument("--kv-heads", type=int, default=0, help="llama: key/value heads; 0 = heads / 2")
    p.add_argument("--profile-out")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    llama = a.flavor == "llama"
    kv_heads = a.kv_heads or max(1, a.heads // 2)
    model = LlamaDecoder(a.layers, a.d_model, a.heads, kv_heads, a.d_ff) if llama else Decoder(a.layers, a.d_model, a.heads, a.d_ff)
    if a.weights:
        load_weights(model, a.weights)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.01)
    inputs, targets = fixed_batch(a.batch, a.length)
    positions = torch.arange(a.length)
    if llama:  # causal only; is_causal on PyTorch 2.x
        dense_bias = None if SDPA else causal_mask(positions.unsqueeze(0), positions.unsqueeze(0)).squeeze(0)
    else:
        dense_bias = causal_alibi(model.slopes, positions.unsqueeze(0), positions.unsqueeze(0)).squeeze(1)  # (H, T, T)
    if a.attention == "fastest":
        if not SDPA:
            sys.exit("--attention fastest needs PyTorch 2.x (scaled_dot_product_attention)")
        dense_bias = None
    generator = torch.Generator().manual_seed(1)
    sigmas = [0.1 + (0.25 - 0.1) * l / max(1, a.layers - 1) for l in range(a.layers)]
    def train_step():
        start = time.perf_counter()  # the draws are timed, as the C++ sampler's inside its forward
        sources = [causal_local_sources(a.length, 4, s * a.length, generator) if a.attention == "ssa" else None
                   for s in sigmas]
        optimizer.zero_grad()
        logits = model(inputs, dense_bias, sources)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), reduction="sum") / targets.numel()
        forward = time.perf_counter()
        loss.backward()
        backward = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        end = time.perf_counter()
        return loss, [end - start, forward - start, backward - forward, end - backward]

    first_loss = train_step()[0].item()  # the first step warms up and is not timed
    parts = {"median_ms": [], "forward_ms": [], "backward_ms": [], "update_ms": []}
    for _ in range(a.reps):
        for key, seconds in zip(parts, train_step()[1]):
            parts[key].append(seconds * 1000)
    if a.profile_out:
        write_profile(train_step, a.reps, a.profile_out)
    print(json.dumps({"impl": "pytorch-python", "flavor": a.flavor, "attention": a.attention, "threads": a.threads, "length": a.length,
                      "batch": a.batch, "params": sum(p.numel() for p in model.parameters()),
                      "first_loss": round(first_loss, 7),
                      **{key: round(statistics.median(v), 2) for key, v in parts.items()},
                      "reps": a.reps, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
