// One line saying what this build is: version, the git commit it was configured from, the LibTorch
// it links, and its optional parts (CUDA, NCCL, RDKit, sentencepiece). `ssa-train --version`
// prints it and every training run logs it first, so a run directory records its code.
#pragma once
#include <string>

namespace ssa::train {

std::string build_description();

}  // namespace ssa::train
