#pragma once
// TextLineDataset: the lines of one or more text files, in order, as uint8 string tensors (see tensor_string),
// without their line endings. A file that cannot be opened raises IOError naming its path when reached.
#include <string>
#include <vector>

#include "nabla/data/dataset.h"

namespace nabla::data {

Dataset text_line_dataset(std::vector<std::string> paths, int64_t skip_header_lines = 0);
inline Dataset text_line_dataset(const std::string& path, int64_t skip_header_lines = 0) {
  return text_line_dataset(std::vector<std::string>{path}, skip_header_lines);
}

}  // namespace nabla::data
