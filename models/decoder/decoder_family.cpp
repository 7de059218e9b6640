// The decoder family's registration: its config keys, the rules they must follow against the
// data, and what it builds and reads (models/model_registry.h).
#include "lib/ssa/ssa_layer_plan.h"
#include "lib/ssa/ssa_schema.h"
#include "lib/ssa/ssa_variants.h"
#include "models/decoder/decoder.h"
#include "models/model_registry.h"

namespace ssa::models {
namespace {

using config::FieldSpec;

void describe_decoder(config::FieldVisitor& v, DecoderConfig& c) {
  v.field("vocab_size", c.vocab_size, FieldSpec("input and output vocabulary").at_least(2).architecture());
  v.field("layers", c.layers, FieldSpec("decoder layers").at_least(1).architecture());
  v.field("d_model", c.d_model, FieldSpec("model width").at_least(1).architecture());
  v.field("heads", c.heads, FieldSpec("attention heads; must divide d_model").at_least(1).architecture());
  v.field("d_ff", c.d_ff, FieldSpec("feed-forward width").at_least(1).architecture());
  v.field("dropout", c.dropout, FieldSpec("embedding and residual dropout").at_least(0).below(1));
  v.field("attention_dropout", c.attention_dropout, FieldSpec("dropout on attention probabilities").at_least(0).below(1));
  v.field("activation_dropout", c.activation_dropout, FieldSpec("dropout after the GELU").at_least(0).below(1));
  v.field("final_norm", c.final_norm, FieldSpec("LayerNorm before the output projection").architecture());
  v.field("tie_embeddings", c.tie_embeddings, FieldSpec("output projection = input embedding").architecture());
  v.field("scale_embedding", c.scale_embedding, FieldSpec("scale embeddings by sqrt(d_model)"));
  v.field("adaptive_cutoffs", c.adaptive_cutoffs,
          FieldSpec("adaptive input + tied adaptive softmax band edges (ids by frequency); empty = off")
              .at_least(1)
              .architecture());
  v.field("adaptive_factor", c.adaptive_factor,
          FieldSpec("band i has d_model / factor^i dimensions").at_least(1).architecture());
  v.field("adaptive_dropout", c.adaptive_dropout,
          FieldSpec("adaptive softmax dropout (head input, inside tails)").at_least(0).below(1));
  v.choice("position", c.position, kPositionKinds,
           FieldSpec("alibi (text), rope (rotary q and k) or grid_2d (learned 2D relative bias, images)").architecture());
  v.field("rope_theta", c.rope_theta, FieldSpec("rope: base of the rotary frequencies").greater_than(0).architecture());
  v.choice("norm", c.norm, kNormKinds, FieldSpec("layernorm or rmsnorm (attention, FFN, final)").architecture());
  v.choice("ffn", c.ffn, kFfnKinds, FieldSpec("gelu or swiglu (gated; d_ff is the gate width)").architecture());
  v.field("kv_heads", c.kv_heads,
          FieldSpec("key/value heads, grouped-query attention; must divide heads; 0 = heads").at_least(0).architecture());
  v.field("bias", c.bias, FieldSpec("biases in the attention and feed-forward linear layers").architecture());
  v.field("image_height", c.image_height, FieldSpec("grid_2d: image rows").at_least(0));
  v.field("image_width", c.image_width, FieldSpec("grid_2d: image columns").at_least(0));
  v.field("image_channels", c.image_channels, FieldSpec("grid_2d: sub-pixels per pixel").at_least(1).architecture());
  v.field("conditions", c.conditions,
          FieldSpec("DistAug: ids per data.augment.distaug family, in its order; empty = unconditional")
              .at_least(1)
              .architecture());
  v.section("ssa", c.ssa, "stochastically subsampled self-attention");
}

std::string text(int64_t v) { return std::to_string(v); }

// Heads, kv heads, SSA layers, a causal variant whose windows fit the sequence.
void validate_attention(const DecoderConfig& m, const DataFacts& data, const ReportProblem& fail) {
  if (m.d_model % m.heads != 0)
    fail("model.heads", "must divide model.d_model (" + text(m.d_model) + "), got " + text(m.heads));
  if (m.kv_heads > 0 && m.heads % m.kv_heads != 0) {
    fail("model.kv_heads", "must divide model.heads (" + text(m.heads) + "), got " + text(m.kv_heads));
  }
  if (m.position == PositionKind::kRope && (m.d_model / m.heads) % 2 != 0) {
    fail("model.position",
         "rope rotates channel pairs: the head width d_model / heads (" + text(m.d_model / m.heads) + ") must be even");
  }
  if (m.ssa.layers > m.layers) {
    fail("model.ssa.layers", "is " + text(m.ssa.layers) + " but the model has only " + text(m.layers) + " layers");
  }
  if (!attn::is_causal(m.ssa.variant)) {
    fail("model.ssa.variant", "the decoder is causal; use causal_local, causal_unbiased or causal_2d");
  }
  if (const auto problem = attn::layout_problem(m.ssa, data.seq_len, "data.seq_len")) {
    fail("model.ssa." + problem->key, problem->problem);
  }
}

// DistAug conditioning: one id count per enabled data.augment.distaug family, in its order.
void validate_conditions(const DecoderConfig& m, const DataFacts& data, const ReportProblem& fail) {
  if (m.conditions.empty()) return;  // unconditional augmentation (or none)
  std::string names, sizes;
  for (size_t i = 0; i < data.distaug.size(); ++i) {
    names += (i ? ", " : "") + data.distaug[i];
    sizes += (i ? ", " : "") + text(data.distaug_ids[i]);
  }
  if (data.distaug.empty()) {
    fail("model.conditions", "conditions the model on DistAug ids, but data.augment.distaug enables no family");
  } else if (m.conditions != data.distaug_ids) {
    fail("model.conditions", "must list the ids of data.augment.distaug's families (" + names + "): [" + sizes + "]");
  }
}

void validate_decoder(const DecoderConfig& m, const DataFacts& data, const ReportProblem& fail) {
  validate_attention(m, data, fail);
  if (data.byte_tokens && m.vocab_size < 256) {
    fail("model.vocab_size", "byte-level data needs at least 256 entries, got " + text(m.vocab_size));
  }
  const int64_t pixels = m.image_height * m.image_width * m.image_channels;
  if (m.position == PositionKind::kGrid2d && pixels != data.seq_len) {
    fail("model.image_height", "grid_2d needs image_height x image_width x image_channels (" + text(pixels) +
                                   ") = data.seq_len (" + text(data.seq_len) + ")");
  }
  if (!m.adaptive_cutoffs.empty()) report_model_config_error([&] { decoder_adaptive_bands(m); }, fail);
  if (data.eval_context >= data.seq_len) {
    fail("eval.context", "must be smaller than data.seq_len (" + text(data.seq_len) + ")");
  }
  validate_conditions(m, data, fail);
}

data::Task decoder_task(const DecoderConfig&, const DataFacts& data) {
  return data.dataset == "text" ? data::Task::kLanguageModel : data::Task::kImageGeneration;
}

DataNeeds decoder_data_needs(const DecoderConfig& c) { return {c.vocab_size, 0, 0}; }

std::shared_ptr<Model> build_decoder(const DecoderConfig& c, uint64_t seed) {
  return std::make_shared<Decoder>(c, seed);
}

SampledLayers decoder_sampled_layers(const DecoderConfig& c, int64_t seq_len) {
  const auto plan = attn::ssa_layer_plan(c.ssa, c.layers);
  return {c.ssa, plan, std::vector<int64_t>(plan.size(), seq_len)};
}

}  // namespace

RegisteredFamily decoder_family() {
  return registered(Family<DecoderConfig>{"decoder",
                                          {"text", "fashion_mnist", "cifar10"},
                                          "the decoder reads text, fashion_mnist or cifar10",
                                          decoder_flavor_table,
                                          describe_decoder,
                                          validate_decoder,
                                          decoder_task,
                                          decoder_data_needs,
                                          build_decoder,
                                          decoder_sampled_layers});
}

}  // namespace ssa::models
