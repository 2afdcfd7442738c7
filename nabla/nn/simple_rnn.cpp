#include "nabla/nn/simple_rnn.h"

#include <nlohmann/json.hpp>

namespace nabla::nn {

std::shared_ptr<SimpleRNN> SimpleRNN::from_config(const nlohmann::json& c) {
  const std::string who = "SimpleRNN config";
  auto layer = std::make_shared<SimpleRNN>(units_from_config(c, who), options_from_config(c, who));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::SimpleRNN> SimpleRNN(int64_t units, nn::RecurrentOptions opts) {
  return std::make_shared<nn::SimpleRNN>(units, std::move(opts));
}
}  // namespace nabla::layers
