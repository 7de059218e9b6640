// c10d-backed collectives (see communicator.h). Version-sensitive construction stays here and in
// lib/core/torch_compat.h; ProcessGroupGloo/NCCL are driven directly in LibTorch 1.13 and 2.x.
#include "lib/dist/communicator.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "lib/core/error.h"

namespace ssa::dist {

struct Communicator::Backend {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
};

namespace {

std::string where(const LaunchInfo& l) {
  return "rank " + std::to_string(l.rank) + "/" + std::to_string(l.world_size) + " (" + l.launcher + ", master " +
         l.master_addr + ":" + std::to_string(l.master_port) + ")";
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const LaunchInfo& launch) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME")) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (launch.master_addr == "127.0.0.1" || launch.master_addr == "localhost") {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");  // single-node jobs
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

Communicator::Communicator(const LaunchInfo& launch, const c10::Device& device, std::chrono::milliseconds timeout)
    : launch_(launch), device_(device), timeout_(timeout) {
  if (launch_.world_size == 1) return;
  backend_ = std::make_unique<Backend>();
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(launch_.master_port);
    options.isServer = launch_.rank == 0;
    options.numWorkers = static_cast<size_t>(launch_.world_size);
    options.waitWorkers = true;
    options.timeout = timeout_;
    backend_->store = c10::make_intrusive<c10d::TCPStore>(launch_.master_addr, options);
    if (device_.is_cuda()) {
#ifdef USE_C10D_NCCL
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = timeout_;
      backend_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(backend_->store, launch_.rank,
                                                                    launch_.world_size, nccl_options);
#else
      throw ConfigError("run.device: cuda with several ranks needs a LibTorch built with NCCL");
#endif
    } else {
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout_);
      gloo_options->devices.push_back(gloo_device(launch_));
      backend_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(backend_->store, launch_.rank,
                                                                    launch_.world_size, gloo_options);
    }
  } catch (const c10::Error& e) {
    throw Error(ExitCode::kDistributed, where(launch_) + ": rendezvous failed within " +
                                            std::to_string(timeout_.count() / 1000) +
                                            " s (dist.timeout_s): " + e.what_without_backtrace());
  }
  spdlog::info("distributed: {} connected", where(launch_));
}

Communicator::~Communicator() = default;

namespace {

// Waits for one collective, turning a peer failure or timeout into one clear line.
void wait_for(const c10::intrusive_ptr<c10d::Work>& work, const char* what, const LaunchInfo& launch,
              std::chrono::milliseconds timeout) {
  try {
    work->wait(timeout);
  } catch (const std::exception& e) {
    std::string detail = e.what();
    detail = detail.substr(0, detail.find('\n'));
    throw Error(ExitCode::kDistributed, where(launch) + ": " + what + " failed (a rank died or did not answer within " +
                                            std::to_string(timeout.count() / 1000) + " s): " + detail);
  }
}

}  // namespace

// Runs a collective on whichever backend serves this device.
template <class F>
static c10::intrusive_ptr<c10d::Work> on_backend(Communicator::Backend& b, const c10::Device& device, F&& f) {
#ifdef USE_C10D_NCCL
  if (device.is_cuda()) return f(*b.nccl);
#endif
  (void)device;
  return f(*b.gloo);
}

void Communicator::all_reduce_sum(std::vector<at::Tensor>& tensors) {
  if (!backend_ || tensors.empty()) return;
  try {
    auto work = on_backend(*backend_, device_, [&](auto& pg) { return pg.allreduce(tensors); });
    wait_for(work, "all_reduce", launch_, timeout_);
  } catch (const c10::Error& e) {
    throw Error(ExitCode::kDistributed, where(launch_) + ": all_reduce failed: " + e.what_without_backtrace());
  }
}

double Communicator::all_reduce_sum(double value) {
  std::vector<at::Tensor> t{at::tensor(value, at::TensorOptions().dtype(at::kDouble).device(device_))};
  all_reduce_sum(t);
  return t[0].item<double>();
}

double Communicator::all_reduce_max(double value) {
  if (!backend_) return value;
  std::vector<at::Tensor> t{at::tensor(value, at::TensorOptions().dtype(at::kDouble).device(device_))};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  auto work = on_backend(*backend_, device_, [&](auto& pg) { return pg.allreduce(t, options); });
  wait_for(work, "all_reduce(max)", launch_, timeout_);
  return t[0].item<double>();
}

void Communicator::broadcast_from_main(std::vector<at::Tensor>& tensors) {
  if (!backend_ || tensors.empty()) return;
  for (auto& t : tensors) {  // one tensor per call: Gloo broadcasts a single tensor per input list
    std::vector<at::Tensor> one{t};
    auto work = on_backend(*backend_, device_, [&](auto& pg) { return pg.broadcast(one); });
    wait_for(work, "broadcast", launch_, timeout_);
  }
}

std::vector<at::Tensor> Communicator::all_gather(const at::Tensor& tensor) {
  if (!backend_) return {tensor.clone()};
  std::vector<at::Tensor> inputs{tensor.contiguous().to(device_)};  // NCCL needs device tensors
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < launch_.world_size; ++r) outputs[0].push_back(at::empty_like(inputs[0]));
  auto work = on_backend(*backend_, device_, [&](auto& pg) { return pg.allgather(outputs, inputs); });
  wait_for(work, "all_gather", launch_, timeout_);
  for (auto& t : outputs[0]) t = t.to(tensor.device());
  return outputs[0];
}

void Communicator::barrier() {
  if (!backend_) return;
  auto work = on_backend(*backend_, device_, [&](auto& pg) { return pg.barrier(); });
  wait_for(work, "barrier", launch_, timeout_);
}

}  // namespace ssa::dist
