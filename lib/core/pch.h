// Precompiled header: the heavy, stable third-party headers only. Never include this directly;
// CMake force-includes it. Our own headers include the narrow headers they need.
#pragma once
#include <torch/torch.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
