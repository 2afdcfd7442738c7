#include "nabla/nn/lstm.h"

#include <nlohmann/json.hpp>

namespace nabla::nn {

std::shared_ptr<LSTM> LSTM::from_config(const nlohmann::json& c) {
  const std::string who = "LSTM config";
  auto layer = std::make_shared<LSTM>(units_from_config(c, who), options_from_config(c, who));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::LSTM> LSTM(int64_t units, nn::RecurrentOptions opts) {
  return std::make_shared<nn::LSTM>(units, std::move(opts));
}
}  // namespace nabla::layers
