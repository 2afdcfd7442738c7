#pragma once
// Permute: reorders the axes after the batch axis (Keras's layers.Permute). dims are 1-based and leave the batch
// axis out: Permute({2, 3, 1}) turns [N, C, H, W] into [N, H, W, C]. The ONNX importer uses it to move NCHW
// tensors into the NHWC layout of Conv2D and back.
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "nabla/nn/layer.h"

namespace nabla::nn {

class Permute : public Layer {
 public:
  explicit Permute(std::vector<int64_t> dims);
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Permute> from_config(const nlohmann::json& config);
  const std::vector<int64_t>& dims() const { return dims_; }

 private:
  std::vector<int64_t> dims_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Permute> Permute(std::vector<int64_t> dims);
}
