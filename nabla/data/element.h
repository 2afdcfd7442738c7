#pragma once
// What flows through a data pipeline: an Element is a tuple of tensors, by convention (features, label[,
// sample_weight]). Text (file names, lines) travels as 1-D uint8 tensors of its bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/core/error.h"
#include "nabla/core/tensor.h"

namespace nabla::data {

using Element = std::vector<Tensor>;

inline constexpr int64_t AUTOTUNE = -1;
inline constexpr int64_t INFINITE_CARDINALITY = -1;
inline constexpr int64_t UNKNOWN_CARDINALITY = -2;

// An error raised while producing an element (a user function threw, a record did not parse). element_index is
// the position of the failing element in the stream of the stage that failed, or -1 where not known.
struct PipelineError : Error {
  PipelineError(const std::string& msg, int64_t index) : Error(msg), element_index(index) {}
  int64_t element_index;
};

// Bytes of s as a 1-D uint8 tensor, and back.
Tensor string_tensor(std::string_view s);
std::string tensor_string(const Tensor& t);

}  // namespace nabla::data
