#pragma once
// GlobalAveragePooling1D and GlobalMaxPooling1D: [batch, steps, features] -> [batch, features] (keepdims:
// [batch, 1, features]). With a mask the average is over the unmasked steps only (Keras: sum(x * m) / sum(m));
// the output has no mask. GlobalMaxPooling1D, as Keras's, ignores and drops a mask.
#include "nabla/nn/layer.h"

namespace nabla::nn {

class GlobalAveragePooling1D : public Layer {
 public:
  explicit GlobalAveragePooling1D(bool keepdims = false, std::vector<int64_t> input_shape = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_masked(const Tensor& x, const Tensor& mask, bool training) override;
  Tensor compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>&) const override { return Tensor(); }
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<GlobalAveragePooling1D> from_config(const nlohmann::json& config);

 private:
  bool keepdims_;
};

class GlobalMaxPooling1D : public Layer {
 public:
  explicit GlobalMaxPooling1D(bool keepdims = false, std::vector<int64_t> input_shape = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<GlobalMaxPooling1D> from_config(const nlohmann::json& config);

 private:
  bool keepdims_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::GlobalAveragePooling1D> GlobalAveragePooling1D(bool keepdims = false,
                                                                   std::vector<int64_t> input_shape = {});
std::shared_ptr<nn::GlobalMaxPooling1D> GlobalMaxPooling1D(bool keepdims = false,
                                                           std::vector<int64_t> input_shape = {});
}  // namespace nabla::layers
