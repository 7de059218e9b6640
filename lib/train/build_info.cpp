// Build description (see build_info.h).
#include "lib/train/build_info.h"

#include <torch/version.h>

#include "build_config.h"

namespace ssa::train {

std::string build_description() {
#ifdef USE_C10D_NCCL
  const bool nccl = true;
#else
  const bool nccl = false;
#endif
  const auto yes_no = [](bool on) { return std::string(on ? "yes" : "no"); };
  return std::string("ssa-train ") + SSA_VERSION + " (commit " + SSA_GIT_COMMIT + ", LibTorch " + TORCH_VERSION +
         ", CUDA " + yes_no(SSA_HAS_CUDA) + ", NCCL " + yes_no(nccl) + ", RDKit " + yes_no(SSA_WITH_RDKIT) +
         ", sentencepiece " + yes_no(SSA_WITH_SENTENCEPIECE) + ")";
}

}  // namespace ssa::train
