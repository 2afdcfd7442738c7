#include "nabla/nn/weight_groups.h"

#include "nabla/nn/recurrent_layer.h"

namespace nabla::nn {

std::string keras_weight_group(const Layer& layer, size_t index) {
  (void)index;
  if (dynamic_cast<const RecurrentLayer*>(&layer)) return "cell";
  return "";
}

}  // namespace nabla::nn
