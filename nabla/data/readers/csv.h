#pragma once
// A CSV reader in the manner of tf.data.experimental.make_csv_dataset: a header (or given column names), a type
// and an optional default per column, a choice of columns, and a label column. Each row becomes
// (features, label): features a 1-D tensor of the selected non-label columns, in file order, converted to
// features_dtype; label a scalar of its column's type. Without a label column, elements are (features).
// Rows that do not parse raise PipelineError naming the file, the line and the column.
#include <map>
#include <string>
#include <vector>

#include "nabla/data/dataset.h"

namespace nabla::data {

struct CsvOptions {
  bool header = true;                            // the first line of each file names the columns
  char delimiter = ',';
  std::vector<std::string> column_names;         // required when !header; checked against the header otherwise
  std::map<std::string, DType> column_types;     // how each column parses; float32 if not listed
  std::map<std::string, double> column_defaults; // value for an empty field; without one it is an error
  std::vector<std::string> select_columns;       // empty: all columns
  std::string label_column;                      // empty: no label
  DType features_dtype = f32;
};

// Reads the files in order (a single string is a glob pattern, matched in sorted order).
Dataset make_csv_dataset(std::vector<std::string> paths, CsvOptions options = {});
Dataset make_csv_dataset(const std::string& pattern, CsvOptions options = {});

}  // namespace nabla::data
