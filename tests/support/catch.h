// The one Catch2 include of every test file: Catch2 v2 (Debian 12, a single header) and v3
// (Debian 13, a library) under the v2 names our tests use (Approx, Catch::Contains, StartsWith).
#pragma once
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>

#include <string>

using Catch::Approx;
namespace Catch {
using Matchers::StartsWith;
inline Matchers::StringContainsMatcher Contains(const std::string& text) { return Matchers::ContainsSubstring(text); }
}  // namespace Catch
#else
#include <catch2/catch.hpp>
#endif
