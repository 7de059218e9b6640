// Sentencepiece training and encoding (see prepare_data.h) through libssa_sentencepiece.so,
// opened with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) so sentencepiece's own protobuf never meets
// LibTorch's (sentencepiece_shim.h). The library is looked up beside the running executable,
// then at the build tree path SSA_SENTENCEPIECE_SHIM.
#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>

#include "lib/core/error.h"
#include "lib/core/input_file.h"
#include "lib/data/prepare_data.h"
#include "lib/data/sentencepiece_shim.h"

namespace ssa::data {
namespace {

namespace fs = std::filesystem;
constexpr size_t kErrorSize = 512;

// The shim's functions, resolved once.
struct Shim {
  decltype(&ssa_spm_train) train;
  decltype(&ssa_spm_load) load;
  decltype(&ssa_spm_piece_size) piece_size;
  decltype(&ssa_spm_eos_id) eos_id;
  decltype(&ssa_spm_encode) encode;
  decltype(&ssa_spm_free) free;
};

std::string shim_path() {
  const std::string name = "libssa_sentencepiece.so";
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && fs::exists(exe.parent_path() / name)) return (exe.parent_path() / name).string();
  if (!ec && fs::exists(exe.parent_path().parent_path() / name))
    return (exe.parent_path().parent_path() / name).string();
  return SSA_SENTENCEPIECE_SHIM;
}

template <class F>
F symbol(void* handle, const char* name) {
  void* f = ::dlsym(handle, name);
  if (f == nullptr) throw Error(ExitCode::kInternal, std::string("sentencepiece shim: missing ") + name);
  return reinterpret_cast<F>(f);
}

const Shim& shim() {
  static const Shim loaded = [] {
    const std::string path = shim_path();
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (handle == nullptr) {
      throw ConfigError("prepare-data sentencepiece: cannot load " + path + " (" + ::dlerror() + ")");
    }
    return Shim{symbol<decltype(&ssa_spm_train)>(handle, "ssa_spm_train"),
                symbol<decltype(&ssa_spm_load)>(handle, "ssa_spm_load"),
                symbol<decltype(&ssa_spm_piece_size)>(handle, "ssa_spm_piece_size"),
                symbol<decltype(&ssa_spm_eos_id)>(handle, "ssa_spm_eos_id"),
                symbol<decltype(&ssa_spm_encode)>(handle, "ssa_spm_encode"),
                symbol<decltype(&ssa_spm_free)>(handle, "ssa_spm_free")};
  }();
  return loaded;
}

std::string train_model(const SentencePieceOptions& o, const std::string& out_dir) {
  const std::string prefix = (fs::path(out_dir) / "spm").string();
  const std::vector<std::pair<std::string, std::string>> args = {
      {"input", o.train_text},
      {"model_prefix", prefix},
      {"vocab_size", std::to_string(o.vocab_size)},
      {"model_type", o.model_type},
      {"character_coverage", std::to_string(o.character_coverage)},
      {"input_sentence_size", std::to_string(o.max_sentences)},
      {"shuffle_input_sentence", "true"},
      {"minloglevel", "1"},  // warnings and errors only
  };
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : args) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  char error[kErrorSize] = {0};
  if (shim().train(keys.data(), values.data(), static_cast<int>(keys.size()), error, kErrorSize) != 0) {
    throw InputError("sentencepiece: training on " + o.train_text + " failed: " + error);
  }
  return prefix + ".model";
}

// A loaded model, freed on scope exit.
class Model {
 public:
  explicit Model(const std::string& path) {
    char error[kErrorSize] = {0};
    handle_ = shim().load(path.c_str(), error, kErrorSize);
    if (handle_ == nullptr) throw InputError("sentencepiece --model: " + path + ": " + error);
  }
  ~Model() { shim().free(handle_); }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  int64_t vocab_size() const { return shim().piece_size(handle_); }
  int eos_id() const { return shim().eos_id(handle_); }
  // Appends the ids of `line` to `out`.
  void encode(std::string_view line, const std::string& file, std::vector<int32_t>& out) const {
    char error[kErrorSize] = {0};
    buffer_.resize(std::max<size_t>(buffer_.size(), line.size() + 16));
    long n = shim().encode(handle_, line.data(), line.size(), buffer_.data(), buffer_.size(), error, kErrorSize);
    if (n > static_cast<long>(buffer_.size())) {
      buffer_.resize(static_cast<size_t>(n));
      n = shim().encode(handle_, line.data(), line.size(), buffer_.data(), buffer_.size(), error, kErrorSize);
    }
    if (n < 0) throw InputError("sentencepiece: " + file + ": " + error);
    out.insert(out.end(), buffer_.begin(), buffer_.begin() + n);
  }

 private:
  void* handle_ = nullptr;
  mutable std::vector<int> buffer_;
};

TokenFileInfo encode_file(const Model& model, const std::string& split, const std::string& text,
                          const std::string& out_dir, TokenFormat format) {
  TokenFileWriter writer(split, (fs::path(out_dir) / (split + "." + format_extension(format))).string(), format,
                         model.vocab_size());
  std::vector<int32_t> ids;
  for_each_line("sentencepiece", text, [&](std::string_view line) {
    ids.clear();
    model.encode(line, text, ids);
    if (model.eos_id() >= 0) ids.push_back(model.eos_id());
    writer.write(ids);
  });
  return writer.close();
}

// The model to encode with: a new one trained on the training text, or a copy of o.model.
std::string model_in(const SentencePieceOptions& o, const std::string& out_dir) {
  if (o.model.empty()) return train_model(o, out_dir);
  check_input_file(o.model, "sentencepiece --model");
  const std::string copy = (fs::path(out_dir) / "spm.model").string();
  std::error_code ec;
  if (!fs::exists(copy) || !fs::equivalent(o.model, copy)) {
    fs::copy_file(o.model, copy, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(ExitCode::kIo, copy + ": cannot copy the model here");
  }
  return copy;  // the output directory holds everything a run needs
}

}  // namespace

PreparedData prepare_sentencepiece(const SentencePieceOptions& o, const std::string& out_dir) {
  check_input_file(o.train_text, "sentencepiece");
  for (const auto* text : {&o.valid_text, &o.test_text}) {
    if (!text->empty()) check_input_file(*text, "sentencepiece");
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) throw Error(ExitCode::kIo, out_dir + ": cannot create the output directory");
  const std::string path = model_in(o, out_dir);
  const Model model(path);
  PreparedData out{"sentencepiece", out_dir, smallest_format(model.vocab_size()), model.vocab_size(), {}, {path}};
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"train", o.train_text}, {"valid", o.valid_text}, {"test", o.test_text}};
  for (const auto& [split, text] : texts) {
    if (!text.empty()) out.splits.push_back(encode_file(model, split, text, out_dir, out.format));
  }
  return out;
}

}  // namespace ssa::data
