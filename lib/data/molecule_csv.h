// Reads the rows of a molecule CSV: a SMILES column and a numeric target, header optional, '#'
// comment lines and blank lines skipped, plain or gzip-compressed (.csv.gz, read through zlib).
// Every problem is one InputError naming the file, and the line for problems in a row.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ssa::data {

struct MoleculeRow {
  std::string smiles;
  float target = 0;  // NaN where the row has none (empty or "nan": PCQM4Mv2 test rows)
  int64_t line = 0;  // 1-based line in the file, for messages
};

// With a header, SMILES is the column named "smiles" (any case) and the target is the column
// named `target_column`, or the last column when it is empty. Without one, SMILES is the first
// column and the target the last. A header is recognised by a "smiles" field or a target field
// that is not a number.
std::vector<MoleculeRow> read_molecule_csv(const std::string& path, const std::string& target_column);

}  // namespace ssa::data
