// TensorBoard event files for the metrics lines (log.tensorboard): <run dir>/tensorboard/
// events.out.tfevents.<unix time>.<host>.<pid>, a new file per process. Every numeric field of a
// metrics line except "step" becomes the scalar "<event>/<field>" (train/loss, eval/valid_loss,
// ...) at the line's step. A run resumed from the checkpoint of step s starts its file with
// SessionLog START at step s + 1, which tells TensorBoard to drop what earlier files logged from
// that step on: the truncation metrics.jsonl gets, so each step is shown once however often the
// run restarts.
//
// Format: TFRecord framing (uint64 length, masked CRC-32C of the length, an Event protobuf, masked
// CRC-32C of the Event), the Event encoded here field by field (tensorboard/compat/proto/event.proto:
// wall_time 1, step 2, file_version 3, summary 5, session_log 7). scripts/read_tfevents.py reads it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "lib/core/exclusive_file.h"

#include "lib/core/json_line.h"

namespace ssa::train {

class TensorBoardWriter {
 public:
  // Opens a new event file in `dir` (created if needed) and writes its version record; a run
  // resumed at resume_step > 0 then records SessionLog START at resume_step + 1.
  TensorBoardWriter(const std::string& dir, int64_t resume_step);

  // One Event at the line's "step" holding a scalar per other numeric field; flushed.
  void write(const JsonLine& line);

  const std::string& path() const { return out_->path(); }

 private:
  void write_record(const std::string& event);
  std::unique_ptr<ExclusiveFile> out_;  // created new: a planted file or link there is an error
};

// The masked CRC-32C TFRecord stores: ((c >> 15) | (c << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t size);

}  // namespace ssa::train
