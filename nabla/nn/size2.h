#pragma once
// Size2: a (height, width) pair that also accepts one integer for both, as Keras's kernel_size=3 or (3, 3).
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "nabla/core/error.h"

namespace nabla::nn {

struct Size2 {
  int64_t h = 1, w = 1;
  Size2(int64_t both) : h(both), w(both) {}  // NOLINT: implicit, as Keras takes an int for both
  Size2(int64_t height, int64_t width) : h(height), w(width) {}
  std::string str() const { return detail::concat("(", h, ", ", w, ")"); }
  friend bool operator==(const Size2&, const Size2&) = default;
  // As Keras writes it in a config: [h, w]; reading also takes one integer.
  nlohmann::json json() const;
  static Size2 from_json(const nlohmann::json& j, const std::string& who);
};

}  // namespace nabla::nn
