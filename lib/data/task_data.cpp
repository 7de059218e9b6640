// data.* -> Datasets per task (see task_data.h).
#include "lib/data/task_data.h"

#include <sys/stat.h>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/data/chunk_sampler.h"
#include "lib/data/image_dataset.h"
#include "lib/data/image_folder_dataset.h"
#include "lib/data/molecule_dataset.h"
#include "lib/data/text_corpus.h"
#include "lib/data/text_datasets.h"

namespace ssa::data {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// root/name, or root/name.gz when only the compressed file is there.
std::string dataset_file(const std::string& root, const std::string& name) {
  const std::string plain = root + "/" + name;
  return exists(plain) || !exists(plain + ".gz") ? plain : plain + ".gz";
}

struct ImageSplits {
  ImageSet train, valid;
};

ImageSplits load_images(const DataConfig& config) {
  if (!exists(config.root)) throw InputError("data.root: " + config.root + ": no such directory");
  if (config.dataset == DatasetKind::kFashionMnist) {
    return {read_idx_images(dataset_file(config.root, "train-images-idx3-ubyte"),
                            dataset_file(config.root, "train-labels-idx1-ubyte"), 10),
            read_idx_images(dataset_file(config.root, "t10k-images-idx3-ubyte"),
                            dataset_file(config.root, "t10k-labels-idx1-ubyte"), 10)};
  }
  std::vector<std::string> train_files;
  for (int i = 1; i <= 5; ++i)
    train_files.push_back(dataset_file(config.root, "data_batch_" + std::to_string(i) + ".bin"));
  return {read_cifar10_batches(train_files), read_cifar10_batches({dataset_file(config.root, "test_batch.bin")})};
}

TaskData text_data(const DataConfig& config, const TaskDataOptions& options) {
  const TokenSplits splits = load_token_splits(config);
  check_vocabulary(splits, options.vocab_size);
  TaskData d;
  d.order = std::make_unique<ChunkSampler>(splits.train.size(0), config.seq_len, options.order_seed);
  d.train = std::make_shared<TokenChunks>(splits.train, config.seq_len);
  d.valid = std::make_shared<TokenWindows>(splits.valid, config.seq_len, options.eval_context);
  return d;
}

// The first `count` images of `set` (data.train_images); 0 keeps all.
void keep_first_images(ImageSet& set, int64_t count) {
  if (count == 0) return;
  if (count > set.pixels.size(0)) {
    throw ConfigError("data.train_images: is " + std::to_string(count) + " but the training split holds only " +
                      std::to_string(set.pixels.size(0)) + " images");
  }
  set.pixels = set.pixels.slice(0, 0, count);
  set.labels = set.labels.slice(0, 0, count);
}

TaskData image_data(const DataConfig& config, const TaskDataOptions& options) {
  ImageSplits images = load_images(config);
  keep_first_images(images.train, config.train_images);
  TaskData d;
  d.order = std::make_unique<ShuffledOrder>(images.train.pixels.size(0), options.order_seed);
  if (options.task == Task::kImageGeneration) {
    const auto& p = images.train.pixels;
    if (p.size(1) * p.size(2) * p.size(3) != config.seq_len) {
      throw ConfigError("data.seq_len: must be H*W*C = " + std::to_string(p.size(1) * p.size(2) * p.size(3)) +
                        " sub-pixels for these " + std::to_string(p.size(2)) + "x" + std::to_string(p.size(3)) + "x" +
                        std::to_string(p.size(1)) + " images, got " + std::to_string(config.seq_len));
    }
    if (options.vocab_size < PixelSequenceDataset::kVocabulary) {
      throw ConfigError("model.vocab_size: pixel generation needs 257 tokens (256 values and the begin token), got " +
                        std::to_string(options.vocab_size));
    }
    d.train = std::make_shared<PixelSequenceDataset>(std::move(images.train), config.augment.distaug);
    d.valid = std::make_shared<PixelSequenceDataset>(std::move(images.valid));
    return d;
  }
  const ChannelStats stats = channel_stats(images.train.pixels);
  d.train = std::make_shared<ImageClassificationDataset>(std::move(images.train), stats, config.augment);
  d.valid = std::make_shared<ImageClassificationDataset>(std::move(images.valid), stats, config.augment);
  return d;
}

// ImageNet folders: classes from root/train, the same class list for root/val.
TaskData image_folder_data(const DataConfig& config, const TaskDataOptions& options) {
  if (!exists(config.root)) throw InputError("data.root: " + config.root + ": no such directory");
  const auto classes = folder_classes(config.root + "/train");
  if (static_cast<int64_t>(classes.size()) != options.num_classes) {
    throw ConfigError("model.num_classes: is " + std::to_string(options.num_classes) + " but " + config.root +
                      "/train holds " + std::to_string(classes.size()) + " class directories");
  }
  const int64_t side = options.image_side;
  TaskData d;
  d.train = std::make_shared<ImageFolderDataset>(scan_image_folder(config.root + "/train", classes), side, config);
  d.valid = std::make_shared<ImageFolderDataset>(scan_image_folder(config.root + "/val", classes), side, config);
  d.order = std::make_unique<ShuffledOrder>(d.train->size(), options.order_seed);
  return d;
}

TaskData molecule_data(const DataConfig& config, const TaskDataOptions& options) {
  MoleculeSplits splits = load_molecule_splits(config.molecules);
  TaskData d;
  d.order = std::make_unique<ShuffledOrder>(splits.train->size(), options.order_seed);
  d.train = splits.train;
  d.valid = splits.valid;
  return d;
}

}  // namespace

TaskData load_task_data(const DataConfig& config, const TaskDataOptions& options) {
  const bool wants_images = options.task == Task::kImageClassification || options.task == Task::kImageGeneration;
  if (options.task == Task::kLanguageModel && config.dataset == DatasetKind::kText) return text_data(config, options);
  if (wants_images && in_memory_images(config.dataset)) return image_data(config, options);
  if (options.task == Task::kImageClassification && config.dataset == DatasetKind::kImageNet) {
    return image_folder_data(config, options);
  }
  if (options.task == Task::kGraphRegression && config.dataset == DatasetKind::kMolecules) {
    return molecule_data(config, options);
  }
  throw ConfigError(
      "data.dataset: this dataset does not fit the model's task (text -> decoder; fashion_mnist, "
      "cifar10 -> swin or decoder; imagenet -> swin; molecules -> egt)");
}

}  // namespace ssa::data
