// What tests read back: a whole file (bytes, any mode) or a shell command's standard output.
#pragma once
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace ssa::test {

// The bytes of the file at `path` ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// What `command`, run by /bin/sh, writes on its standard output.
inline std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), pipe)) > 0;) out.append(buf, n);
    ::pclose(pipe);
  }
  return out;
}

}  // namespace ssa::test
