#pragma once
// Dropout: active only in training (fit, train_on_batch); the identity in evaluate and predict.
#include <optional>

#include "nabla/core/random.h"
#include "nabla/nn/layer.h"

namespace nabla::nn {

class Dropout : public Layer {
 public:
  explicit Dropout(double rate, std::optional<uint64_t> seed = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override { return in.at(0); }
  nlohmann::json get_config() const override;
  static std::shared_ptr<Dropout> from_config(const nlohmann::json& config);
  double rate() const { return rate_; }
  std::vector<Generator*> seed_generators() override {
    return gen_ ? std::vector<Generator*>{&*gen_} : std::vector<Generator*>{};
  }

 private:
  double rate_;
  std::optional<uint64_t> seed_;
  std::optional<Generator> gen_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Dropout> Dropout(double rate, std::optional<uint64_t> seed = {});
}
