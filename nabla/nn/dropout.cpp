#include "nabla/nn/dropout.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
#include "nabla/ops/dropout.h"

namespace nabla::nn {

Dropout::Dropout(double rate, std::optional<uint64_t> seed) : Layer("Dropout"), rate_(rate) {
  supports_masking_ = true;  // passes the mask on unchanged, as Keras
  NABLA_CHECK(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got ", rate);
  seed_ = seed;
  if (seed) gen_.emplace(*seed);
}

Tensor Dropout::call(const Tensor& x, bool training) {
  return dropout(x, rate_, training, gen_ ? &*gen_ : nullptr);
}

nlohmann::json Dropout::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["rate"] = rate_;
  c["seed"] = seed_ ? nlohmann::json(*seed_) : nlohmann::json(nullptr);
  c["noise_shape"] = nullptr;
  return c;
}

std::shared_ptr<Dropout> Dropout::from_config(const nlohmann::json& c) {
  const std::string who = "Dropout config";
  saving::require_null(c, "noise_shape", who);
  NABLA_CHECK(c.contains("rate"), who, ": \"rate\" is required");
  auto seed = saving::get_optional_int(c, "seed", who);
  auto layer = std::make_shared<Dropout>(saving::get_double(c, "rate", 0, who),
                                         seed ? std::optional<uint64_t>(uint64_t(*seed)) : std::nullopt);
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Dropout> Dropout(double rate, std::optional<uint64_t> seed) {
  return std::make_shared<nn::Dropout>(rate, seed);
}
}  // namespace nabla::layers
