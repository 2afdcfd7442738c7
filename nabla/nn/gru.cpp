#include "nabla/nn/gru.h"

#include <nlohmann/json.hpp>

namespace nabla::nn {

std::shared_ptr<GRU> GRU::from_config(const nlohmann::json& c) {
  const std::string who = "GRU config";
  auto layer = std::make_shared<GRU>(units_from_config(c, who), options_from_config(c, who));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::GRU> GRU(int64_t units, nn::RecurrentOptions opts) {
  return std::make_shared<nn::GRU>(units, std::move(opts));
}
}  // namespace nabla::layers
