// StopRequest's time limit: the run stops once the time left is less than the last step took,
// so the next step does not end past the limit; no limit never stops.
#include "tests/support/catch.h"

#include <chrono>
#include <thread>

#include "lib/train/stop_request.h"

using ssa::train::StopRequest;
using ssa::train::TimeLimit;

TEST_CASE("the time limit stops before a step of the last step's length would pass it", "[stop]") {
  StopRequest limited(TimeLimit{0.25, "time limit (test)"});
  CHECK(limited.reason().empty());  // just started
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  // 0.15 s gone, 0.1 s left, and the last "step" took 0.15 s: another one would end past 0.25 s.
  CHECK(limited.reason() == "time limit (test)");

  StopRequest unlimited(TimeLimit{0, ""});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(unlimited.reason().empty());
}
