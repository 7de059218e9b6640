// The one list of config keys: for every config struct, describe(visitor, struct) names each
// field with its key, constraints and documentation. The YAML reader, the resolved-config
// writer and the reference generator are visitors over these lists, so a key is spelled once.
// Defaults live in the structs' member initialisers, nowhere else.
#pragma once
#include "lib/config/experiment_config.h"
#include "lib/config/field_visitor_adapter.h"
#include "lib/core/field_spec.h"
#include "models/model_registry.h"

namespace ssa::config {

inline const ChoiceNames<data::DatasetKind> kDatasetKinds = {{"text", data::DatasetKind::kText},
                                                             {"fashion_mnist", data::DatasetKind::kFashionMnist},
                                                             {"cifar10", data::DatasetKind::kCifar10},
                                                             {"imagenet", data::DatasetKind::kImageNet},
                                                             {"molecules", data::DatasetKind::kMolecules}};
inline const ChoiceNames<data::Interpolation> kInterpolations = {{"bilinear", data::Interpolation::kBilinear},
                                                                 {"bicubic", data::Interpolation::kBicubic}};
inline const ChoiceNames<data::TokenFormat> kTokenFormats = {
    {"bytes", data::TokenFormat::kBytes}, {"uint16", data::TokenFormat::kUint16}, {"uint32", data::TokenFormat::kUint32}};
inline const ChoiceNames<train::DecayShape> kDecayShapes = {{"cosine", train::DecayShape::kCosine},
                                                            {"linear", train::DecayShape::kLinear},
                                                            {"constant", train::DecayShape::kConstant}};
inline const ChoiceNames<train::DeviceKind> kDevices = {{"cpu", train::DeviceKind::kCpu},
                                                        {"cuda", train::DeviceKind::kCuda}};
inline const ChoiceNames<train::Precision> kPrecisions = {
    {train::precision_name(train::Precision::kAuto), train::Precision::kAuto},
    {train::precision_name(train::Precision::kFp32), train::Precision::kFp32},
    {train::precision_name(train::Precision::kBf16), train::Precision::kBf16},
    {train::precision_name(train::Precision::kFp16), train::Precision::kFp16}};
inline const ChoiceNames<train::LossScaleMode> kLossScaleModes = {{"auto", train::LossScaleMode::kAuto},
                                                                  {"dynamic", train::LossScaleMode::kDynamic},
                                                                  {"off", train::LossScaleMode::kOff}};
inline const ChoiceNames<attn::AttentionMode> kAttentionModes = {
    {attn::attention_mode_name(attn::AttentionMode::kSubsampled), attn::AttentionMode::kSubsampled},
    {attn::attention_mode_name(attn::AttentionMode::kDense), attn::AttentionMode::kDense}};

// model.type and model.flavor, then the keys the family registered (models/model_registry.h).
template <class V>
void describe(V& v, models::ModelConfig& c) {
  static const auto families = [] {
    ChoiceNames<std::string> names;
    for (const auto& family : models::model_families()) names.emplace_back(family.name.c_str(), family.name);
    return names;
  }();
  v.choice("type", c.type, families, FieldSpec("model family").architecture());
  models::select_family(c, c.type);
  v.flavor("flavor", c);
  v.field("from_checkpoint", c.from_checkpoint,
          FieldSpec("the shape comes from run.init_from's (or --checkpoint's) Hugging Face LLaMA config.json or "
                    "torchvision JSON"));
  VisitorAdapter<V> erased(v);
  models::find_family(c.type).describe(erased, c.settings);
}

template <class V>
void describe(V& v, data::RandAugmentConfig& c) {
  v.field("layers", c.layers, FieldSpec("ops drawn per image; 0 = off").at_least(0));
  v.field("magnitude", c.magnitude, FieldSpec("op strength, 0 to 10").at_least(0).at_most(10));
  v.field("magnitude_std", c.magnitude_std, FieldSpec("per-op N(magnitude, std) jitter; 0 = fixed").at_least(0));
  v.field("probability", c.probability, FieldSpec("chance each drawn op applies").at_least(0).at_most(1));
}

template <class V>
void describe(V& v, data::DistAugConfig& c) {
  v.field("rotate", c.rotate, FieldSpec("4 ids: quarter turns clockwise"));
  v.field("colour", c.colour, FieldSpec("6 ids: RGB channel permutations (3 channels)"));
  v.field("transpose", c.transpose, FieldSpec("2 ids: rows <-> columns"));
  v.field("reverse", c.reverse, FieldSpec("2 ids: half turn"));
  v.field("jigsaw", c.jigsaw, FieldSpec("24 ids: permutations of the 2 x 2 quadrants"));
}

template <class V>
void describe(V& v, data::ImageAugmentConfig& c) {
  v.field("flip", c.flip, FieldSpec("random left-right mirror"));
  v.field("crop_padding", c.crop_padding,
          FieldSpec("fashion_mnist, cifar10: random crop after zero padding (pixels)").at_least(0));
  v.field("resized_crop_min_scale", c.resized_crop_min_scale,
          FieldSpec("imagenet: smallest area share of the random resized crop").greater_than(0).at_most(1));
  v.field("resized_crop_max_ratio", c.resized_crop_max_ratio,
          FieldSpec("imagenet: crop aspect ratio log-uniform in [1/this, this]").at_least(1));
  v.field("mixup_alpha", c.mixup_alpha, FieldSpec("mixup Beta(alpha, alpha); 0 = off").at_least(0));
  v.field("cutmix_alpha", c.cutmix_alpha, FieldSpec("cutmix Beta(alpha, alpha); 0 = off").at_least(0));
  v.field("label_smoothing", c.label_smoothing, FieldSpec("label smoothing epsilon").at_least(0).below(1));
  v.section("rand_augment", c.rand_augment, "imagenet: timm RandAugment, increasing ops");
  v.field("random_erasing", c.random_erasing,
          FieldSpec("imagenet: chance of erasing one box with noise (timm pixel mode)").at_least(0).at_most(1));
  v.section("distaug", c.distaug, "pixel generation: Distribution Augmentation, ids told to the model");
}

inline const ChoiceNames<data::MoleculeSource> kMoleculeSources = {{"csv", data::MoleculeSource::kCsv},
                                                                   {"pcqm4mv2", data::MoleculeSource::kPcqm4mv2}};

template <class V>
void describe(V& v, data::MoleculeDataConfig& c) {
  v.choice("source", c.source, kMoleculeSources, FieldSpec("csv (smiles,target) or pcqm4mv2 (OGB-LSC folder)"));
  v.field("path", c.path, FieldSpec("csv: the file (plain or .gz); pcqm4mv2: the dataset root"));
  v.field("target_column", c.target_column, FieldSpec("header of the target column; empty = last column"));
  v.field("valid_fraction", c.valid_fraction, FieldSpec("csv: held-out share of rows").greater_than(0).below(1));
  v.field("split_seed", c.split_seed, FieldSpec("csv: seeds which rows are held out").at_least(0));
  v.field("split_path", c.split_path, FieldSpec("pcqm4mv2: split file; empty = <path>/split_dict.pt"));
  v.field("cache_dir", c.cache_dir, FieldSpec("featurized cache directory; empty = beside the source"));
  v.field("max_nodes", c.max_nodes, FieldSpec("molecules with more atoms are left out").at_least(1));
  v.field("threads", c.threads,
          FieldSpec("featurization threads; 0 = all cores this process may use; more is refused").at_least(0));
}

template <class V>
void describe(V& v, data::DataConfig& c) {
  v.choice("dataset", c.dataset, kDatasetKinds, FieldSpec("what the data is"));
  v.choice("format", c.format, kTokenFormats, FieldSpec("text: how files map to tokens").architecture());
  FieldSpec train_paths("text: training files, concatenated");
  if (c.dataset == data::DatasetKind::kText) train_paths.required().not_empty();
  v.field("train_paths", c.train_paths, train_paths);
  v.field("valid_paths", c.valid_paths, FieldSpec("validation files; empty = tail of train"));
  v.field("valid_fraction", c.valid_fraction,
          FieldSpec("share of the train stream held out when valid_paths is empty").greater_than(0).below(1));
  v.field("seq_len", c.seq_len, FieldSpec("tokens per training sequence (T); pixels: H*W*C").at_least(2));
  v.field("root", c.root, FieldSpec("images: directory of the dataset's files (imagenet: holds train/ and val/)"));
  v.section("augment", c.augment, "images: training transforms");
  v.field("train_images", c.train_images,
          FieldSpec("fashion_mnist, cifar10: train on the first N images only (data-limited runs); 0 = all").at_least(0));
  v.field("eval_crop_fraction", c.eval_crop_fraction,
          FieldSpec("imagenet: eval resizes the shorter side to image_size / this, then center-crops")
              .greater_than(0)
              .at_most(1));
  v.choice("interpolation", c.interpolation, kInterpolations, FieldSpec("imagenet: resize filter (antialiased)"));
  v.section("molecules", c.molecules, "molecules: source, split and cache");
  v.field("prefetch", c.prefetch,
          FieldSpec("build the next step's training batches on a background thread (same results)"));
}

template <class V>
void describe(V& v, train::RunConfig& c) {
  v.field("dir", c.dir, FieldSpec("run directory; empty = runs/<config stem>"));
  v.field("seed", c.seed, FieldSpec("seed for init, dropout, SSA and data order").at_least(0));
  v.field(
      "threads", c.threads,
      FieldSpec("CPU threads of LibTorch and OpenBLAS; 0 = all cores this process may use; more is refused").at_least(0));
  v.choice("device", c.device, kDevices, FieldSpec("compute device"));
  v.choice("precision", c.precision, kPrecisions, FieldSpec("autocast precision; auto = bf16 on cuda, fp32 on cpu"));
  v.field("deterministic", c.deterministic,
          FieldSpec("deterministic kernels only (CUDA: cuBLAS workspace, no cuDNN autotuning, NCCL ring; an op "
                    "without a deterministic kernel is an error); CPU runs are deterministic already"));
  v.field("time_limit_s", c.time_limit_s,
          FieldSpec("stop, save and exit 143 before a step would end past this many seconds; 0 = none").at_least(0));
  v.field("slurm_time_limit", c.slurm_time_limit,
          FieldSpec("in a SLURM job with a time limit, also stop slurm_margin_s before it"));
  v.field("slurm_margin_s", c.slurm_margin_s,
          FieldSpec("seconds before SLURM's time limit to stop and save").at_least(0));
  v.field("resume", c.resume,
          FieldSpec("where training starts: auto = this run's newest loadable checkpoint (else step 0); never = "
                    "step 0, refused if the run has checkpoints; or a checkpoint or run directory whose model, "
                    "optimizer, step, data position and random streams this run continues from (a damaged one "
                    "is an error, no fallback); once the run has checkpoints of its own it continues from those"));
  v.field("init_from", c.init_from,
          FieldSpec("a fresh run starts from the weights of this checkpoint, or of the newest one of this run "
                    "directory (e.g. a dense fine-tune of an SSA run), or of a Hugging Face LLaMA directory or "
                    "torchvision file; ignored once the run has its own"));
}

template <class V>
void describe(V& v, train::OptimizerConfig& c) {
  v.field("lr", c.lr, FieldSpec("peak learning rate").greater_than(0));
  v.field("weight_decay", c.weight_decay, FieldSpec("AdamW decoupled decay").at_least(0));
  v.field("beta1", c.beta1, FieldSpec("Adam beta1").at_least(0).below(1));
  v.field("beta2", c.beta2, FieldSpec("Adam beta2").at_least(0).below(1));
  v.field("eps", c.eps, FieldSpec("Adam epsilon").greater_than(0));
  v.field("clip_norm", c.clip_norm, FieldSpec("gradient-norm clip; 0 = off").at_least(0));
}

template <class V>
void describe(V& v, train::LrScheduleConfig& c) {
  v.field("warmup_steps", c.warmup_steps, FieldSpec("linear warmup from 0").at_least(0));
  v.choice("decay", c.decay, kDecayShapes, FieldSpec("shape after warmup"));
  v.field("min_lr", c.min_lr, FieldSpec("learning rate at the last step").at_least(0));
}

template <class V>
void describe(V& v, train::PhaseConfig& c) {
  v.field("name", c.name, FieldSpec("phase name in metrics").not_empty());
  v.field("fraction", c.fraction, FieldSpec("share of train.steps").greater_than(0).at_most(1));
  v.choice("attention", c.attention, kAttentionModes, FieldSpec("ssa, or dense (+FT)"));
}

template <class V>
void describe(V& v, train::LossScaleConfig& c) {
  v.choice("mode", c.mode, kLossScaleModes, FieldSpec("dynamic, off, or auto (dynamic iff run.precision is fp16)"));
  v.field("init", c.init, FieldSpec("initial loss scale").greater_than(0));
  v.field("growth_factor", c.growth_factor,
          FieldSpec("scale multiplier after growth_interval good steps").greater_than(1));
  v.field("backoff_factor", c.backoff_factor, FieldSpec("scale multiplier after an overflow").greater_than(0).below(1));
  v.field("growth_interval", c.growth_interval, FieldSpec("finite steps in a row before growing").at_least(1));
  v.field("min_scale", c.min_scale, FieldSpec("below this scale the run stops as diverged").greater_than(0));
}

template <class V>
void describe(V& v, train::TrainConfig& c) {
  v.field("steps", c.steps, FieldSpec("optimizer steps").at_least(1));
  v.field("batch_size", c.batch_size, FieldSpec("sequences per optimizer step").at_least(1));
  v.field("micro_batch_size", c.micro_batch_size, FieldSpec("sequences per forward; 0 = batch_size").at_least(0));
  v.field("activation_checkpointing", c.activation_checkpointing,
          FieldSpec("recompute every block in backward from its saved input, same SSA draws (docs/ssa.md)"));
  v.list("phases", c.phases, "training phases in order, e.g. ssa then dense fine-tune");
  v.section("optimizer", c.optimizer, "AdamW");
  v.section("lr_schedule", c.lr_schedule, "warmup then decay");
  v.section("loss_scale", c.loss_scale, "dynamic loss scaling for fp16");
  v.field("max_nonfinite_skips", c.max_nonfinite_skips,
          FieldSpec("non-finite steps skipped in a row before stopping; 0 = stop at the first").at_least(0));
  v.field("max_nonfinite_skips_total", c.max_nonfinite_skips_total,
          FieldSpec("non-finite steps skipped over the whole run (resumes included) before stopping").at_least(0));
}

template <class V>
void describe(V& v, train::EvalConfig& c) {
  v.field("every", c.every, FieldSpec("steps between validation passes; 0 = only after the last step").at_least(0));
  v.field("batches", c.batches, FieldSpec("batches per pass; 0 = whole split").at_least(0));
  v.field("batch_size", c.batch_size, FieldSpec("sequences per eval batch").at_least(1));
  v.field("context", c.context,
          FieldSpec("sliding window: context tokens per forward, each scores seq_len - context").at_least(0));
  v.field("ensemble_samples", c.ensemble_samples,
          FieldSpec("self-ensemble of N SSA samples beside dense eval; 0 = off").at_least(0));
}

template <class V>
void describe(V& v, train::CheckpointConfig& c) {
  v.field("every", c.every, FieldSpec("steps between checkpoints; 0 = only the last").at_least(0));
  v.field("keep_last", c.keep_last, FieldSpec("complete checkpoints kept").at_least(2));
  v.field("save_attempts", c.save_attempts,
          FieldSpec("tries at writing a checkpoint before exit 74 (transient I/O errors)").at_least(1));
  v.field("retry_wait_s", c.retry_wait_s, FieldSpec("pause before retry k: k x this, seconds").at_least(0));
}

template <class V>
void describe(V& v, train::LogConfig& c) {
  v.field("every", c.every, FieldSpec("steps between metrics lines").at_least(1));
  v.field("progress", c.progress, FieldSpec("live progress line on a terminal"));
  v.field("tensorboard", c.tensorboard,
          FieldSpec("also write the metrics as TensorBoard events in <run dir>/tensorboard/"));
}

template <class V>
void describe(V& v, train::DistConfig& c) {
  v.field("timeout_s", c.timeout_s, FieldSpec("rendezvous and collective timeout, seconds").greater_than(0));
  v.field("load_timeout_s", c.load_timeout_s,
          FieldSpec("how long ranks wait for the slowest one to load the data, or for rank 0 to write a "
                    "checkpoint, seconds")
              .greater_than(0));
  v.field("bucket_mb", c.bucket_mb, FieldSpec("gradient all-reduce bucket size, MiB").greater_than(0));
  v.field("overlap", c.overlap,
          FieldSpec("all-reduce each bucket from gradient hooks during the last backward (false: after it)"));
  v.field("check_replicas_every", c.check_replicas_every,
          FieldSpec("steps between bitwise checks that all ranks hold the same parameters; 0 = at checkpoints only")
              .at_least(0));
}

template <class V>
void describe(V& v, ExperimentConfig& c) {
  v.section("run", c.run, "where and how the run executes");
  v.section("model", c.model, "architecture");
  v.section("data", c.data, "token stream");
  v.section("train", c.train, "optimisation");
  v.section("eval", c.eval, "validation");
  v.section("checkpoint", c.checkpoint, "checkpoints");
  v.section("log", c.log, "metrics and console");
  v.section("dist", c.dist, "data parallelism across ranks");
}

}  // namespace ssa::config
