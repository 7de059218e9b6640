// Molecule CSV reading (see molecule_csv.h). gzread also reads uncompressed files as they are, so
// one path serves .csv and .csv.gz.
#include "lib/data/molecule_csv.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "lib/core/error.h"
#include "lib/core/input_file.h"
#include "lib/core/string_distance.h"

namespace ssa::data {
namespace {

std::string_view without_spaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view field_value(std::string_view s) {  // spaces and surrounding quotes removed
  s = without_spaces(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::string at_line(const std::string& path, int64_t line) { return path + ":" + std::to_string(line); }

void split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  size_t start = 0;
  for (size_t comma; (comma = line.find(',', start)) != std::string_view::npos; start = comma + 1) {
    fields.push_back(field_value(line.substr(start, comma - start)));
  }
  fields.push_back(field_value(line.substr(start)));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The target value; NaN for an empty or "nan" field, nullopt when it is not a number.
std::optional<float> parse_target(std::string_view field) {
  if (field.empty() || equals_ignoring_case(field, "nan")) return std::nanf("");
  const std::string text(field);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return static_cast<float>(value);
}

struct Columns {
  size_t smiles = 0, target = 0;
  bool header = false;
};

std::string joined(const std::vector<std::string_view>& fields) {
  return join(std::vector<std::string>(fields.begin(), fields.end()), ", ");
}

// Decides from the first data line whether it is a header and which columns to read.
Columns choose_columns(const std::vector<std::string_view>& first, const std::string& target_column,
                       const std::string& where) {
  Columns c;
  const auto is_smiles = [](std::string_view f) { return equals_ignoring_case(f, "smiles"); };
  c.header = std::any_of(first.begin(), first.end(), is_smiles) || !parse_target(first.back());
  if (!c.header) {
    if (!target_column.empty()) {
      throw InputError(where + ": target_column '" + target_column + "' needs a header line naming the columns");
    }
    if (first.size() < 2) throw InputError(where + ": expected 'smiles,target' columns, found 1 column");
    c.target = first.size() - 1;
    return c;
  }
  const auto smiles_it = std::find_if(first.begin(), first.end(), is_smiles);
  if (smiles_it == first.end())
    throw InputError(where + ": header has no 'smiles' column (columns: " + joined(first) + ")");
  c.smiles = static_cast<size_t>(smiles_it - first.begin());
  const auto target_it = target_column.empty() ? first.end() - 1 : std::find(first.begin(), first.end(), target_column);
  if (target_it == first.end()) {
    const std::string guess = closest_match(target_column, std::vector<std::string>(first.begin(), first.end()));
    throw InputError(where + ": no column '" + target_column + "' for target_column" +
                     (guess.empty() ? "" : " (did you mean '" + guess + "'?)") + "; columns: " + joined(first));
  }
  c.target = static_cast<size_t>(target_it - first.begin());
  if (c.target == c.smiles) throw InputError(where + ": no target column besides 'smiles'");
  return c;
}

MoleculeRow parse_row(const std::vector<std::string_view>& fields, const Columns& c, const std::string& path,
                      int64_t line) {
  const size_t needed = std::max(c.smiles, c.target) + 1;
  if (fields.size() < needed) {
    throw InputError(at_line(path, line) + ": expected at least " + std::to_string(needed) + " columns, found " +
                     std::to_string(fields.size()));
  }
  const auto target = parse_target(fields[c.target]);
  if (!target) {
    throw InputError(at_line(path, line) + ": target '" + std::string(fields[c.target]) + "' is not a number");
  }
  return MoleculeRow{std::string(fields[c.smiles]), *target, line};
}

}  // namespace

std::vector<MoleculeRow> read_molecule_csv(const std::string& path, const std::string& target_column) {
  const std::string text = read_maybe_gzipped(path);
  std::vector<MoleculeRow> rows;
  std::vector<std::string_view> fields;
  std::optional<Columns> columns;
  int64_t line = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view content = without_spaces(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line;
    if (content.empty() || content.front() == '#') continue;
    split_fields(content, fields);
    if (!columns) {
      columns = choose_columns(fields, target_column, at_line(path, line));
      if (columns->header) continue;
    }
    rows.push_back(parse_row(fields, *columns, path, line));
  }
  if (rows.empty()) throw InputError(path + ": no molecule rows (only a header, comments or blank lines)");
  return rows;
}

}  // namespace ssa::data
