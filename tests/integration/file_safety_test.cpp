// How the real binary creates its files (reliability goals R6 and X5), seen from outside:
// - under strace, every file it commits by a rename is fsynced before that rename, a checkpoint's
//   directory is fsynced before it is renamed into place and its parent after, and every file it
//   creates other than by appending is created with O_EXCL | O_NOFOLLOW (the run's .lock file,
//   reused by every run of the directory, with O_NOFOLLOW);
// - its files and directories take their permissions from the umask.
#include "tests/support/catch.h"

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "tests/support/run_binary.h"
#include "tests/support/text_io.h"

using namespace ssa::test;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = source_path("configs/test/tiny_decoder.yaml");

struct Syscall {
  std::string name;
  std::string args;    // the text between the parentheses
  std::string result;  // the text after "= "
};

// The calls of an `strace -y` log, in order (unfinished/resumed pairs do not occur: one thread).
std::vector<Syscall> read_trace(const std::string& path) {
  static const std::regex line_re(R"(^(\w+)\((.*)\)\s+=\s+(.*)$)");
  std::vector<Syscall> calls;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, line_re)) calls.push_back({m[1], m[2], m[3]});
  }
  return calls;
}

// The quoted path arguments of a call, or the <path> decorations strace -y adds to descriptors.
// (The working directory that strace -y shows after AT_FDCWD is not one.)
std::vector<std::string> paths_in(const std::string& call_args) {
  static const std::regex cwd_re(R"(AT_FDCWD<[^>]*>)"), path_re(R"re("([^"]*)"|<([^>]*)>)re");
  const std::string args = std::regex_replace(call_args, cwd_re, "AT_FDCWD");
  std::vector<std::string> paths;
  for (std::sregex_iterator it(args.begin(), args.end(), path_re), end; it != end; ++it) {
    paths.push_back((*it)[1].matched ? (*it)[1].str() : (*it)[2].str());
  }
  return paths;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST_CASE("every committed file is fsynced before its rename, and created exclusively", "[integration][files]") {
  const std::string dir = fs::weakly_canonical(fresh_run_dir("strace_save")).string();  // as strace -y prints
  const std::string trace = dir + ".strace";
  fs::remove(trace);
  const std::string command = "strace -y -qq -o " + trace +
                              " -e trace=openat,open,creat,fsync,fdatasync,rename,renameat,renameat2 " + SSA_TRAIN_BIN +
                              " " + kConfig + " run.dir=" + dir +
                              " train.steps=4 train.lr_schedule.warmup_steps=1 checkpoint.every=2 log.tensorboard=true"
                              " 2>&1; echo exit=$?";
  const std::string output = command_output(command);
  INFO(output);  // strace is installed by scripts/install-deps.sh; it needs ptrace
  REQUIRE(output.size() >= 7);
  REQUIRE(output.substr(output.size() - 7) == "exit=0\n");

  std::map<std::string, size_t> created, synced_last;  // path -> index of the call
  size_t commits = 0, checkpoint_commits = 0;
  const auto calls = read_trace(trace);
  for (size_t i = 0; i < calls.size(); ++i) {
    const Syscall& c = calls[i];
    const auto paths = paths_in(c.args);
    if (paths.empty() || !starts_with(paths.front(), dir)) continue;
    INFO(c.name << "(" << c.args << ") = " << c.result);
    if ((c.name == "openat" || c.name == "open") && c.args.find("O_CREAT") != std::string::npos) {
      const bool lock_file = fs::path(paths.front()).filename() == ".lock";  // reused on purpose, never written through
      if (lock_file) {
        CHECK(c.args.find("O_NOFOLLOW") != std::string::npos);
      } else if (c.args.find("O_APPEND") != std::string::npos) {
        // Only train.log is opened for appending; metrics.jsonl takes its appends through the
        // descriptor that created it (before its rename), never by opening the path again.
        CHECK(fs::path(paths.front()).filename() == "train.log");
      } else {
        CHECK(c.args.find("O_EXCL") != std::string::npos);
        CHECK(c.args.find("O_NOFOLLOW") != std::string::npos);
        created[paths.front()] = i;
      }
    } else if (c.name == "fsync" || c.name == "fdatasync") {
      synced_last[paths.front()] = i;
    } else if (starts_with(c.name, "rename")) {
      REQUIRE(paths.size() == 2);
      const std::string& from = paths[0];
      ++commits;
      // Every file created at `from` or below it was synced after its last write (its fd is
      // synced just before close) and before this rename; so was `from` itself.
      for (const auto& [path, at] : created) {
        if (path != from && !starts_with(path, from + "/")) continue;
        INFO("created " << path);
        CHECK(synced_last.count(path));
        if (synced_last.count(path)) CHECK(synced_last[path] < i);
      }
      if (fs::path(from).extension() == ".tmp" && fs::path(from).parent_path().filename() == "checkpoints") {
        ++checkpoint_commits;
        CHECK(synced_last.count(from));  // the directory's entries are on disk before it is committed
        const std::string parent = fs::path(from).parent_path().string();
        bool parent_synced_after = false;
        for (size_t j = i + 1; j < calls.size() && !parent_synced_after; ++j) {
          parent_synced_after = calls[j].name == "fsync" && paths_in(calls[j].args) == std::vector<std::string>{parent};
        }
        CHECK(parent_synced_after);
      }
    }
  }
  CHECK(checkpoint_commits == 2);      // steps 2 and 4
  CHECK(commits >= 4);                 // + config.resolved.yaml and metrics.jsonl
  CHECK(created.size() >= 2 * 4 + 3);  // 4 files per checkpoint, 2 rewritten files, events
}

TEST_CASE("run directory files and directories take their permissions from the umask", "[integration][files]") {
  const std::string dir = fresh_run_dir("umask");
  const mode_t previous = ::umask(027);
  const auto r = run_ssa_train(
      {kConfig, "run.dir=" + dir, "train.steps=2", "train.lr_schedule.warmup_steps=1", "log.tensorboard=true"});
  ::umask(previous);
  REQUIRE(r.exit_code == 0);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    INFO(entry.path());
    const auto perms = entry.status().permissions();
    const auto bits = static_cast<unsigned>(perms) & 0777u;
    if (entry.is_directory()) {
      CHECK(bits == 0750u);
    } else {
      ++files;
      CHECK(bits == 0640u);
    }
  }
  CHECK(files >= 8);
}
