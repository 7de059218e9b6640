// Parsing and matching of SSA_FAULT (see fault_injection.h).
#include "lib/train/fault_injection.h"

#include <cstdlib>
#include <sstream>

#include "lib/core/error.h"

namespace ssa::train {

FaultInjection::FaultInjection() : FaultInjection(std::getenv("SSA_FAULT") ? std::getenv("SSA_FAULT") : "") {}

FaultInjection::FaultInjection(const std::string& spec) {
  std::stringstream items(spec);
  for (std::string item; std::getline(items, item, ',');) {
    if (item.empty()) continue;
    const size_t at = item.find('@');
    const size_t colon = item.find(':', at == std::string::npos ? 0 : at);
    Fault f;
    f.kind = item.substr(0, at);
    const bool known = f.kind == "nan_loss" || f.kind == "nan_grad" || f.kind == "save_error";
    try {
      if (!known || at == std::string::npos) throw std::invalid_argument(item);
      f.step = std::stoll(item.substr(at + 1, colon - at - 1));
      if (colon != std::string::npos) f.rank = std::stoi(item.substr(colon + 1));
    } catch (const std::exception&) {
      throw ConfigError("SSA_FAULT: '" + item + "' is not kind@step[:rank] with kind nan_loss, nan_grad or save_error");
    }
    faults_.push_back(f);
  }
}

bool FaultInjection::fires(const std::string& kind, int64_t step, int rank) const {
  for (const auto& f : faults_) {
    if (f.kind == kind && f.step == step && (f.rank < 0 || f.rank == rank)) return true;
  }
  return false;
}

}  // namespace ssa::train
