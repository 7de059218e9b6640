// AdamW state <-> named tensors (see optimizer_state.h).
#include "lib/train/optimizer_state.h"

#include <map>

#include <torch/optim/adamw.h>

#include "lib/core/error.h"
#include "lib/core/torch_compat.h"

namespace ssa::train {
namespace {

using StateMap = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>;

}  // namespace

std::vector<NamedTensor> adamw_state_tensors(torch::optim::Optimizer& optimizer, models::Model& model) {
  std::vector<NamedTensor> out;
  auto& states = optimizer.state();
  for (const auto& p : model.named_parameters()) {
    const auto it = states.find(compat::optimizer_state_key<StateMap>(p.value()));
    if (it == states.end()) continue;
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    out.push_back({p.key() + ".step", at::tensor({s.step()}, at::kLong)});  // (1)
    out.push_back({p.key() + ".exp_avg", s.exp_avg()});
    out.push_back({p.key() + ".exp_avg_sq", s.exp_avg_sq()});
    if (s.max_exp_avg_sq().defined()) out.push_back({p.key() + ".max_exp_avg_sq", s.max_exp_avg_sq()});
  }
  return out;
}

void restore_adamw_state(torch::optim::Optimizer& optimizer, models::Model& model,
                         const std::vector<NamedTensor>& stored, const std::string& path) {
  const auto by_name = tensors_by_name(stored);
  auto& states = optimizer.state();
  size_t used = 0;
  for (const auto& p : model.named_parameters()) {
    const at::Tensor& parameter = p.value();
    const auto key = compat::optimizer_state_key<StateMap>(parameter);
    states.erase(key);
    const auto step = by_name.find(p.key() + ".step");
    if (step == by_name.end()) continue;  // this parameter had no update yet
    const auto moment = [&](const std::string& suffix, bool required) -> at::Tensor {
      const auto it = by_name.find(p.key() + suffix);
      if (it == by_name.end()) {
        if (required) throw InputError(path + ": optimizer state of " + p.key() + " lacks " + suffix.substr(1));
        return {};
      }
      if (it->second.sizes() != parameter.sizes()) {
        throw InputError(path + ": " + p.key() + suffix + " has shape " + c10::str(it->second.sizes()) +
                         ", the parameter " + c10::str(parameter.sizes()));
      }
      ++used;
      return it->second.to(parameter.device(), parameter.scalar_type());
    };
    auto state = std::make_unique<torch::optim::AdamWParamState>();
    state->step(step->second.item<int64_t>());
    ++used;
    state->exp_avg(moment(".exp_avg", true));
    state->exp_avg_sq(moment(".exp_avg_sq", true));
    if (auto max = moment(".max_exp_avg_sq", false); max.defined()) state->max_exp_avg_sq(max);
    states[key] = std::move(state);
  }
  if (used != by_name.size()) throw InputError(path + ": holds optimizer state of parameters the model lacks");
}

}  // namespace ssa::train
