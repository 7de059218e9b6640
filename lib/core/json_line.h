// Builds one flat JSON object on one line, for metrics.jsonl. Numbers that are not finite are
// written as null so every line stays valid JSON.
#pragma once
#include <cstdint>
#include <string>

namespace ssa {

class JsonLine {
 public:
  JsonLine& add(const std::string& key, double value);
  JsonLine& add(const std::string& key, int64_t value);
  JsonLine& add(const std::string& key, int value) { return add(key, static_cast<int64_t>(value)); }
  JsonLine& add(const std::string& key, const std::string& value);
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(const std::string& k);
  std::string body_;
};

// JSON string escaping (quotes included).
std::string json_quote(const std::string& s);

}  // namespace ssa
