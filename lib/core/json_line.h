// Builds one flat JSON object on one line, for metrics.jsonl. Numbers that are not finite are
// written as null so every line stays valid JSON. The fields are also kept typed, for sinks that
// are not JSON (TensorBoard).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ssa {

class JsonLine {
 public:
  JsonLine& add(const std::string& key, double value);
  JsonLine& add(const std::string& key, int64_t value);
  JsonLine& add(const std::string& key, int value) { return add(key, static_cast<int64_t>(value)); }
  JsonLine& add(const std::string& key, const std::string& value);
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  std::string str() const { return "{" + body_ + "}"; }

  // The numeric fields (integers converted) and the string fields, each in order of addition.
  const std::vector<std::pair<std::string, double>>& numbers() const { return numbers_; }
  const std::vector<std::pair<std::string, std::string>>& texts() const { return texts_; }

 private:
  void key(const std::string& k);
  std::string body_;
  std::vector<std::pair<std::string, double>> numbers_;
  std::vector<std::pair<std::string, std::string>> texts_;
};

// JSON string escaping (quotes included).
std::string json_quote(const std::string& s);

}  // namespace ssa
