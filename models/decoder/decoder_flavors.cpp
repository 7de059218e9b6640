// Named decoder presets. "enwik8" is the paper's 16 x 1024 x 4096 x 8 byte model
// (201,967,616 parameters, model-specs.md A.2), "wt103" its WikiText-103 model with adaptive
// input and softmax (246,933,504 parameters, A.1), "cifar10-pixels" its pixel decoder (A.3);
// "llama-125m" today's LLaMA recipe at GPT-2-small size; the others fit a 2-core CPU.
#include "models/flavor_table.h"
#include "models/decoder/decoder_config.h"

namespace ssa::models {
namespace {

DecoderConfig tiny() {
  DecoderConfig c;
  c.layers = 2;
  c.d_model = 64;
  c.heads = 2;
  c.d_ff = 256;
  c.dropout = 0.0;
  return c;
}

DecoderConfig enwik8() {
  DecoderConfig c;
  c.vocab_size = 208;  // 204 byte values + 4 fairseq specials
  c.layers = 16;
  c.d_model = 1024;
  c.heads = 8;
  c.d_ff = 4096;
  c.dropout = 0.3;
  c.attention_dropout = 0.1;
  c.activation_dropout = 0.1;
  c.final_norm = true;
  c.tie_embeddings = false;
  c.ssa.layers = 12;  // S12-L4
  c.ssa.windows = 4;
  return c;
}

// fairseq transformer_lm_wiki103 with ALiBi and GELU: no final LayerNorm, adaptive input and tied
// adaptive softmax (cutoffs 20000, 60000, factor 4) over the 267,744-entry fairseq dictionary.
DecoderConfig wt103() {
  DecoderConfig c = enwik8();
  c.vocab_size = 267744;
  c.final_norm = false;
  c.tie_embeddings = true;
  c.adaptive_cutoffs = {20000, 60000};
  c.adaptive_factor = 4.0;
  c.adaptive_dropout = 0.2;
  c.ssa.layers = 16;  // S16-L4
  return c;
}

// Pixel generation: sub-pixels in raster order with a 2D relative bias, 2D causal SSA over bands
// of image rows (a grid row is one image row of width x channels sub-pixels). No dropout.
DecoderConfig pixels(int64_t side, int64_t channels) {
  DecoderConfig c;
  c.vocab_size = 257;  // 256 values + the begin-of-image token
  c.dropout = 0.0;
  c.position = PositionKind::kGrid2d;
  c.image_height = side;
  c.image_width = side;
  c.image_channels = channels;
  c.ssa.variant = attn::SsaVariant::kCausalGrid;
  c.ssa.row_length = side * channels;
  return c;
}

// The paper's CIFAR-10 model (model-specs.md A.3): 16 x 1024 x 4096 x 8, S16-L4.
DecoderConfig cifar10_pixels() {
  DecoderConfig c = pixels(32, 3);
  c.layers = 16;
  c.d_model = 1024;
  c.heads = 8;
  c.d_ff = 4096;
  return c;
}

// CPU scale: Fashion-MNIST's 28x28 grey images, 784 sub-pixels.
DecoderConfig fmnist_pixels() {
  DecoderConfig c = pixels(28, 1);
  c.layers = 4;
  c.d_model = 128;
  c.heads = 4;
  c.d_ff = 512;
  return c;
}

// The LLaMA recipe: rotary positions, RMSNorm, a SwiGLU feed-forward, grouped-query attention, no
// biases, no embedding scale, no dropout; the output projection untied (tie_embeddings may tie it).
DecoderConfig llama(int64_t vocab, int64_t layers, int64_t d_model, int64_t heads, int64_t kv_heads, int64_t d_ff) {
  DecoderConfig c;
  c.vocab_size = vocab;
  c.layers = layers;
  c.d_model = d_model;
  c.heads = heads;
  c.kv_heads = kv_heads;
  c.d_ff = d_ff;
  c.position = PositionKind::kRope;
  c.norm = NormKind::kRmsNorm;
  c.ffn = FfnKind::kSwiglu;
  c.bias = false;
  c.scale_embedding = false;
  c.dropout = 0.0;
  return c;
}

// Byte-level, for tests: 2 x 64, 4 heads sharing 2 kv heads.
DecoderConfig llama_tiny() { return llama(256, 2, 64, 4, 2, 172); }

// ~125M: 12 x 768, 12 heads sharing 4 kv heads, SwiGLU width 2048 (2/3 of 4d), a 32,000-token
// vocabulary: 124,668,672 parameters untied.
DecoderConfig llama_125m() { return llama(32000, 12, 768, 12, 4, 2048); }

}  // namespace

const FlavorTable<DecoderConfig>& decoder_flavor_table() {
  static const FlavorTable<DecoderConfig> table = {{"small", [] { return DecoderConfig{}; }},
                                                   {"tiny", tiny},
                                                   {"enwik8", enwik8},
                                                   {"wt103", wt103},
                                                   {"cifar10-pixels", cifar10_pixels},
                                                   {"fmnist-pixels", fmnist_pixels},
                                                   {"llama-tiny", llama_tiny},
                                                   {"llama-125m", llama_125m}};
  return table;
}

DecoderConfig decoder_flavor(const std::string& name) {
  return flavor_from_table(decoder_flavor_table(), "decoder", name);
}

}  // namespace ssa::models
