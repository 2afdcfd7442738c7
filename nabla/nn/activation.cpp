#include "nabla/nn/activation.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/layer_registry.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/activations.h"

namespace nabla::nn {

Activation::Activation(std::string a) : Layer("Activation"), activation_(std::move(a)) {
  supports_masking_ = true;  // passes the mask on unchanged, as Keras
  NABLA_CHECK(is_activation_name(activation_), "Activation: unknown activation '", activation_, "'");
}

Tensor Activation::call(const Tensor& x, bool) { return activation(x, activation_); }

nlohmann::json Activation::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["activation"] = serialize_activation(activation_);
  return c;
}

std::shared_ptr<Activation> Activation::from_config(const nlohmann::json& c) {
  const std::string who = "Activation config";
  NABLA_CHECK(c.contains("activation"), who, ": \"activation\" is required");
  auto layer = std::make_shared<Activation>(deserialize_activation(c["activation"], who));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Activation> Activation(const std::string& a) { return std::make_shared<nn::Activation>(a); }
}  // namespace nabla::layers
