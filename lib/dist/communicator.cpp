// c10d-backed collectives (see communicator.h). Version-sensitive construction stays here and in
// lib/core/torch_compat.h; ProcessGroupGloo/NCCL are driven directly in LibTorch 1.13 and 2.x.
#include "lib/dist/communicator.h"

#include <algorithm>
#include <csignal>

#include <ATen/ATen.h>
#include <fmt/format.h>
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

// Exit code kDistributed, one line: rank 0 finding its port taken (another job on the host), or
// a rendezvous that did not complete in time.
Error rendezvous_failure(const LaunchInfo& launch, std::chrono::milliseconds timeout, const std::exception& e) {
  const std::string what = first_line(e);
  if (launch.rank == 0 && what.find("Address already in use") != std::string::npos) {
    return Error(ExitCode::kDistributed, where(launch) + ": cannot serve the rendezvous: port " +
                                             std::to_string(launch.master_port) +
                                             " is in use on this host (another job?); set another MASTER_PORT");
  }
  return Error(ExitCode::kDistributed, where(launch) + ": rendezvous failed within " +
                                           std::to_string(timeout.count() / 1000) + " s (dist.timeout_s): " + what +
                                           "; is every rank started?");
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

// LibTorch 2.4+ asks for libuv's TCPStore server by default, and Debian's 2.6 is built without libuv
// ("use_libuv was requested but PyTorch was build without libuv support"). The classic server is
// in every version; options before 2.2 have no such field to clear (the second overload).
template <class Options>
auto use_classic_store_server(Options& options, int) -> decltype(options.useLibUV = false, void()) {
  options.useLibUV = false;
}
template <class Options>
void use_classic_store_server(Options&, long) {}

}  // namespace

Communicator::Communicator(const LaunchInfo& launch, const c10::Device& device, std::chrono::milliseconds timeout,
                           std::chrono::milliseconds agreement_timeout)
    : launch_(launch), device_(device), timeout_(timeout), agreement_timeout_(agreement_timeout) {
  if (launch_.world_size == 1) return;
  // A write to a dead peer's socket must fail as an error (EPIPE: the collective throws, exit 5
  // naming the operation), not kill this rank with SIGPIPE (exit 141), as Python's torch ignores it.
  std::signal(SIGPIPE, SIG_IGN);
  backend_ = std::make_unique<Backend>();
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(launch_.master_port);
    options.isServer = launch_.rank == 0;
    options.numWorkers = static_cast<size_t>(launch_.world_size);
    options.waitWorkers = true;
    options.timeout = timeout_;
    use_classic_store_server(options, 0);
    backend_->store = c10::make_intrusive<c10d::TCPStore>(launch_.master_addr, options);
    if (device_.is_cuda()) {
#ifdef USE_C10D_NCCL
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = timeout_;
      backend_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(backend_->store, launch_.rank, launch_.world_size,
                                                                   nccl_options);
#else
      throw ConfigError("run.device: cuda with several ranks needs a LibTorch built with NCCL");
#endif
    } else {
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout_);
      gloo_options->devices.push_back(gloo_device(launch_));
      backend_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(backend_->store, launch_.rank, launch_.world_size,
                                                                   gloo_options);
    }
  } catch (const std::exception& e) {  // c10::Error, or the socket errors of a client that cannot connect
    throw rendezvous_failure(launch_, timeout_, e);
  }
  spdlog::info("distributed: {} connected", where(launch_));
}

Communicator::~Communicator() = default;

namespace {

// One clear line with exit code kDistributed for a launch error, a peer failure or a timeout.
[[noreturn]] void throw_collective_failure(const LaunchInfo& launch, std::chrono::milliseconds timeout,
                                           const std::string& what, const std::exception& e) {
  throw Error(ExitCode::kDistributed, where(launch) + ": " + what + " failed (a rank died or did not answer within " +
                                          std::to_string(timeout.count() / 1000) + " s): " + first_line(e));
}

// Launches one collective on the backend that serves `device` and returns its work handle.
template <class F>
auto launch_collective(Communicator::Backend& b, const c10::Device& device, F&& launch_on) {
#ifdef USE_C10D_NCCL
  if (device.is_cuda()) return launch_on(*b.nccl);
#endif
  (void)device;
  return launch_on(*b.gloo);
}

// Launches one collective and waits for it.
template <class F>
void run_collective(Communicator::Backend& b, const c10::Device& device, const LaunchInfo& launch,
                    std::chrono::milliseconds timeout, const char* what, F&& launch_on) {
  try {
    launch_collective(b, device, launch_on)->wait(timeout);
  } catch (const std::exception& e) {
    throw_collective_failure(launch, timeout, what, e);
  }
}

// c10d's work handle type: c10d::ProcessGroup::Work in 1.13, c10d::Work in 2.x.
using WorkHandle = decltype(std::declval<c10d::ProcessGroupGloo&>().allreduce(std::declval<std::vector<at::Tensor>&>()));

}  // namespace

void Communicator::all_reduce_sum(std::vector<at::Tensor>& tensors) {
  if (!backend_ || tensors.empty()) return;
  run_collective(*backend_, device_, launch_, timeout_, "all_reduce", [&](auto& pg) { return pg.allreduce(tensors); });
}

struct PendingCollective::Work {
  WorkHandle handle;
  std::vector<at::Tensor> tensors;  // kept alive while the collective runs
  LaunchInfo launch;
  std::chrono::milliseconds timeout;
};

PendingCollective::PendingCollective(std::unique_ptr<Work> work) : work_(std::move(work)) {}
PendingCollective::~PendingCollective() = default;
PendingCollective::PendingCollective(PendingCollective&&) noexcept = default;
PendingCollective& PendingCollective::operator=(PendingCollective&&) noexcept = default;

void PendingCollective::wait() {
  if (!work_) return;
  const auto work = std::move(work_);
  try {
    work->handle->wait(work->timeout);
  } catch (const std::exception& e) {
    throw_collective_failure(work->launch, work->timeout, "all_reduce", e);
  }
}

PendingCollective Communicator::start_all_reduce_sum(std::vector<at::Tensor> tensors) {
  if (!backend_ || tensors.empty()) return PendingCollective();
  auto work = std::make_unique<PendingCollective::Work>(
      PendingCollective::Work{{}, std::move(tensors), launch_, timeout_});
  try {
    work->handle = launch_collective(*backend_, device_, [&](auto& pg) { return pg.allreduce(work->tensors); });
  } catch (const std::exception& e) {
    throw_collective_failure(launch_, timeout_, "all_reduce", e);
  }
  return PendingCollective(std::move(work));
}

double Communicator::reduce_scalar(double value, bool max) {
  if (!backend_) return value;
  std::vector<at::Tensor> t{at::tensor(value, at::TensorOptions().dtype(at::kDouble).device(device_))};
  c10d::AllreduceOptions options;
  options.reduceOp = max ? c10d::ReduceOp::MAX : c10d::ReduceOp::SUM;
  run_collective(*backend_, device_, launch_, timeout_, max ? "all_reduce(max)" : "all_reduce",
                 [&](auto& pg) { return pg.allreduce(t, options); });
  return t[0].item<double>();
}

double Communicator::all_reduce_sum(double value) { return reduce_scalar(value, /*max=*/false); }

double Communicator::all_reduce_max(double value) { return reduce_scalar(value, /*max=*/true); }

double Communicator::agree_max(double value) {
  if (!backend_) return value;
  const std::string prefix = "ssa/agree/" + std::to_string(agreements_++) + "/";
  std::vector<std::string> keys;
  for (int r = 0; r < launch_.world_size; ++r) keys.push_back(prefix + std::to_string(r));
  const std::string mine = fmt::format("{:.17g}", value);
  try {
    backend_->store->set(keys[static_cast<size_t>(launch_.rank)], std::vector<uint8_t>(mine.begin(), mine.end()));
    backend_->store->wait(keys, agreement_timeout_);
    double worst = value;
    for (const auto& key : keys) {
      const auto bytes = backend_->store->get(key);
      worst = std::max(worst, std::stod(std::string(bytes.begin(), bytes.end())));
    }
    return worst;
  } catch (const std::exception& e) {
    throw_collective_failure(launch_, agreement_timeout_, "agreement", e);
  }
}

void Communicator::broadcast_from_main(std::vector<at::Tensor>& tensors) {
  if (!backend_ || tensors.empty()) return;
  for (auto& t : tensors) {  // one tensor per call: Gloo broadcasts a single tensor per input list
    std::vector<at::Tensor> one{t};
    run_collective(*backend_, device_, launch_, timeout_, "broadcast", [&](auto& pg) { return pg.broadcast(one); });
  }
}

std::vector<at::Tensor> Communicator::all_gather(const at::Tensor& tensor) {
  if (!backend_) return {tensor.clone()};
  std::vector<at::Tensor> inputs{tensor.contiguous().to(device_)};  // NCCL needs device tensors
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < launch_.world_size; ++r) outputs[0].push_back(at::empty_like(inputs[0]));
  run_collective(*backend_, device_, launch_, timeout_, "all_gather",
                 [&](auto& pg) { return pg.allgather(outputs, inputs); });
  for (auto& t : outputs[0]) t = t.to(tensor.device());
  return outputs[0];
}

std::vector<at::Tensor> Communicator::all_gather_varying(const at::Tensor& values) {
  const auto flat = values.reshape({-1});
  if (!backend_) return {flat.clone()};
  const auto counts = all_gather(at::full({1}, flat.numel(), flat.options().dtype(at::kLong)));  // (1) per rank
  int64_t most = 0;
  for (const auto& c : counts) most = std::max(most, c.item<int64_t>());
  const auto gathered = all_gather(at::cat({flat, at::zeros({most - flat.numel()}, flat.options())}));  // (most)
  std::vector<at::Tensor> parts;
  for (size_t r = 0; r < gathered.size(); ++r) parts.push_back(gathered[r].slice(0, 0, counts[r].item<int64_t>()));
  return parts;
}

at::Tensor Communicator::all_gather_rows(const at::Tensor& rows) {
  auto shape = rows.sizes().vec();
  shape[0] = -1;
  return at::cat(all_gather_varying(rows)).reshape(shape);
}

void Communicator::barrier() {
  if (!backend_) return;
  run_collective(*backend_, device_, launch_, timeout_, "barrier", [&](auto& pg) { return pg.barrier(); });
}

}  // namespace ssa::dist
