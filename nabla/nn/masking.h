#pragma once
// Masking (Keras's layers.Masking): a step of a [N, T, F] sequence whose features all equal mask_value is
// masked: its output is zeros and downstream layers that honour masks skip it (GlobalAveragePooling1D,
// BatchNormalization's statistics, the loss and metrics). Also the mask helpers the other layers use; a mask is
// a tensor of the input's leading axes ([N, T]), nonzero where the step counts (nabla's layers make u8 0/1).
#include "nabla/nn/layer.h"

namespace nabla::nn {

// 1 where the mask is nonzero, else 0, as a tensor of dtype dt (for multiplying into values).
Tensor mask_as(const Tensor& mask, DType dt);
// u8 [x.shape minus the last axis]: 1 where any feature of x differs from value (Keras's
// any(not_equal(x, value), axis=-1)).
Tensor any_not_equal_last_axis(const Tensor& x, double value);
// u8 of x's shape: 1 where x != value (Embedding's mask_zero).
Tensor not_equal_mask(const Tensor& x, double value);
// Checks that mask has the leading axes of x (rank x.dim() - 1 and the same sizes); who names the layer.
void check_mask_shape(const Tensor& x, const Tensor& mask, const std::string& who);

class Masking : public Layer {
 public:
  explicit Masking(double mask_value = 0.0, std::vector<int64_t> input_shape = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Masking> from_config(const nlohmann::json& config);
  double mask_value() const { return mask_value_; }

 private:
  double mask_value_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Masking> Masking(double mask_value = 0.0, std::vector<int64_t> input_shape = {});
}
