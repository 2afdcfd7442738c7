#include "nabla/nn/size2.h"

#include <nlohmann/json.hpp>

namespace nabla::nn {

nlohmann::json Size2::json() const { return nlohmann::json::array({h, w}); }

Size2 Size2::from_json(const nlohmann::json& j, const std::string& who) {
  if (j.is_number_integer()) return Size2(j.get<int64_t>());
  if (j.is_array() && j.size() == 2 && j[0].is_number_integer() && j[1].is_number_integer())
    return Size2(j[0].get<int64_t>(), j[1].get<int64_t>());
  throw ValueError(detail::concat(who, ": expected an integer or [height, width], got ", j.dump()));
}

}  // namespace nabla::nn
