#include "nabla/data/element.h"

#include <cstring>

namespace nabla::data {

Tensor string_tensor(std::string_view s) {
  Tensor t = make_tensor(Shape{int64_t(s.size())}, u8);
  if (!s.empty()) std::memcpy(t.raw_data(), s.data(), s.size());
  return t;
}

std::string tensor_string(const Tensor& t) {
  NABLA_CHECK(t.dtype() == u8 && t.dim() == 1, "tensor_string: expected a 1-D uint8 tensor, got ",
              dtype_name(t.dtype()), " ", t.shape().str());
  Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()), size_t(c.numel()));
}

}  // namespace nabla::data
