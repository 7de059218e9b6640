// Strict YAML reading: conversions, range checks and unknown-key detection (see yaml_reader.h).
#include "lib/config/yaml_reader.h"

#include "models/model_registry.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace ssa::config {
namespace {

std::string describe_node(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "nothing";
  return "'" + n.Scalar() + "'";
}

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  std::string lower;
  for (const char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string bare = lower[0] == '+' || lower[0] == '-' ? lower.substr(1) : lower;
  if (bare == ".nan" || bare == ".inf") {  // YAML's spellings of non-finite numbers
    out = bare == ".nan" ? NAN : (lower[0] == '-' ? -INFINITY : INFINITY);
    return true;
  }
  errno = 0;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return errno == 0 && end == s.c_str() + s.size();
}

}  // namespace

std::string one_line(const YAML::Node& n) {
  YAML::Emitter out;
  out << YAML::Flow << n;
  return out.c_str();
}

std::string ReadContext::location(const std::string& dotted, const YAML::Mark& mark) const {
  for (std::string p = dotted;; p = p.substr(0, p.rfind('.'))) {
    if (overridden.count(p)) return "command line";
    if (p.find('.') == std::string::npos) break;
  }
  if (mark.is_null()) return source;
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void ReadContext::fail(const std::string& where, const std::string& dotted, const std::string& problem) const {
  throw ConfigError(where + ": " + dotted + ": " + problem);
}

void ReadContext::raise_missing() const {
  if (!first_missing.empty()) throw ConfigError(first_missing);
}

void read_value(const YAML::Node& n, int64_t& out, const std::string& dotted, const ReadContext& ctx) {
  double d = 0;
  const bool scalar = n.IsScalar();
  const std::string s = scalar ? n.Scalar() : "";
  errno = 0;
  char* end = nullptr;
  const long long v = scalar ? std::strtoll(s.c_str(), &end, 10) : 0;
  if (scalar && !s.empty() && errno == 0 && end == s.c_str() + s.size()) {
    out = v;
    return;
  }
  if (scalar && parse_double(s, d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e18) {
    out = static_cast<int64_t>(d);
    return;
  }
  ctx.fail(ctx.location(dotted, n.Mark()), dotted, "expected an integer, got " + describe_node(n));
}

void read_value(const YAML::Node& n, double& out, const std::string& dotted, const ReadContext& ctx) {
  if (n.IsScalar() && parse_double(n.Scalar(), out)) {
    if (std::isfinite(out)) return;
    ctx.fail(ctx.location(dotted, n.Mark()), dotted, "expected a finite number, got " + describe_node(n));
  }
  ctx.fail(ctx.location(dotted, n.Mark()), dotted, "expected a number, got " + describe_node(n));
}

void read_value(const YAML::Node& n, bool& out, const std::string& dotted, const ReadContext& ctx) {
  if (n.IsScalar()) {
    if (n.Scalar() == "true") {
      out = true;
      return;
    }
    if (n.Scalar() == "false") {
      out = false;
      return;
    }
  }
  ctx.fail(ctx.location(dotted, n.Mark()), dotted, "expected true or false, got " + describe_node(n));
}

void read_value(const YAML::Node& n, std::string& out, const std::string& dotted, const ReadContext& ctx) {
  if (!n.IsScalar()) {
    ctx.fail(ctx.location(dotted, n.Mark()), dotted, "expected a string, got " + describe_node(n));
  }
  out = n.Scalar();
}

void read_value(const YAML::Node& n, std::vector<std::string>& out, const std::string& dotted, const ReadContext& ctx) {
  if (!n.IsSequence()) {
    ctx.fail(ctx.location(dotted, n.Mark()), dotted, "expected a list of strings, got " + describe_node(n));
  }
  out.clear();
  for (size_t i = 0; i < n.size(); ++i) {
    std::string item;
    read_value(n[i], item, dotted + "[" + std::to_string(i) + "]", ctx);
    out.push_back(item);
  }
}

void read_value(const YAML::Node& n, std::vector<int64_t>& out, const std::string& dotted, const ReadContext& ctx) {
  if (!n.IsSequence()) {
    ctx.fail(ctx.location(dotted, n.Mark()), dotted, "expected a list of integers, got " + describe_node(n));
  }
  out.clear();
  for (size_t i = 0; i < n.size(); ++i) {
    int64_t item = 0;
    read_value(n[i], item, dotted + "[" + std::to_string(i) + "]", ctx);
    out.push_back(item);
  }
}

void ReadVisitor::check(const char* key, const YAML::Node& n, const std::vector<int64_t>& v, const FieldSpec& spec) const {
  if (spec.non_empty && v.empty()) ctx_.fail(where(key, n), dotted(key), "must not be empty");
  for (size_t i = 0; i < v.size(); ++i) check(key, n[i], v[i], spec);  // names the item's own value
}

ReadVisitor::ReadVisitor(YAML::Node node, std::string prefix, ReadContext& ctx)
    : node_(std::move(node)), prefix_(std::move(prefix)), ctx_(ctx) {}

std::string ReadVisitor::dotted(const char* key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + key;
}

std::string ReadVisitor::where(const char* key, const YAML::Node& n) const {
  const YAML::Mark mark = n.Mark();
  return ctx_.location(dotted(key), mark.is_null() ? node_.Mark() : mark);
}

std::optional<YAML::Node> ReadVisitor::lookup(const char* key, const FieldSpec& spec) {
  asked_.emplace_back(key);
  const YAML::Node& map = node_;  // const access: operator[] must not insert missing keys
  const YAML::Node n = map.IsMap() ? map[key] : YAML::Node();
  if (!n || n.IsNull()) {
    if (spec.is_required && ctx_.first_missing.empty()) {
      ctx_.first_missing = where(key, YAML::Node()) + ": " + dotted(key) + ": missing required key";
    }
    return std::nullopt;
  }
  ctx_.located[dotted(key)] = where(key, n);
  return n;
}

YAML::Node ReadVisitor::child_map(const char* key) {
  const auto n = lookup(key, FieldSpec(""));
  if (!n) {
    ctx_.located[dotted(key)] = where(key, YAML::Node());
    return YAML::Node(YAML::NodeType::Map);
  }
  if (!n->IsMap()) ctx_.fail(where(key, *n), dotted(key), "expected a map, got " + describe_node(*n));
  return *n;
}

void ReadVisitor::check(const char* key, const YAML::Node& n, double v, const FieldSpec& spec) const {
  const std::string problem = spec.range_problem(v);
  if (!problem.empty()) ctx_.fail(where(key, n), dotted(key), "expected " + problem + ", got " + n.Scalar());
}

void ReadVisitor::check(const char* key, const YAML::Node& n, int64_t v, const FieldSpec& spec) const {
  check(key, n, static_cast<double>(v), spec);
}

void ReadVisitor::check(const char* key, const YAML::Node& n, const std::string& v, const FieldSpec& spec) const {
  if (spec.non_empty && v.empty()) ctx_.fail(where(key, n), dotted(key), "must not be empty");
  if (spec.allowed.empty()) return;
  for (const auto& a : spec.allowed) {
    if (a == v) return;
  }
  fail_unknown_value(key, n, v, spec.allowed);
}

void ReadVisitor::check(const char* key, const YAML::Node& n, const std::vector<std::string>& v,
                        const FieldSpec& spec) const {
  if (spec.non_empty && v.empty()) ctx_.fail(where(key, n), dotted(key), "must list at least one entry");
}

void ReadVisitor::fail_unknown_value(const char* key, const YAML::Node& n, const std::string& text,
                                     const std::vector<std::string>& known) const {
  const std::string hint = closest_match(text, known);
  ctx_.fail(where(key, n), dotted(key),
            "unknown value '" + text + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                "; expected one of: " + join(known));
}

void ReadVisitor::flavor(const char* key, models::ModelConfig& c) {
  const auto found = lookup(key, FieldSpec(""));
  if (!found) return;
  const YAML::Node& n = *found;
  read_value(n, c.flavor, dotted(key), ctx_);
  if (!models::apply_flavor(c, c.flavor))
    fail_unknown_value(key, n, c.flavor, models::find_family(c.type).flavor_names);
}

void ReadVisitor::finish() const {
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    const std::string path = prefix_.empty() ? k : prefix_ + "." + k;
    const std::string loc = ctx_.location(path, kv.first.Mark());
    if (!seen.insert(k).second) ctx_.fail(loc, path, "duplicate key");
    bool known = false;
    for (const auto& a : asked_) known = known || a == k;
    if (known) continue;
    const std::string hint = closest_match(k, asked_);
    ctx_.fail(loc, path,
              "unknown key" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; known keys: " + join(asked_));
  }
}

}  // namespace ssa::config
