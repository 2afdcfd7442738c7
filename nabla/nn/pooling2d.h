#pragma once
// Pooling2D: what MaxPooling2D and AveragePooling2D share (Keras's options, shape inference, checks); each
// subclass names its op.
#include <optional>

#include "nabla/nn/layer.h"
#include "nabla/nn/size2.h"
#include "nabla/ops/pooling.h"

namespace nabla::nn {

struct Pooling2DOptions {
  Size2 pool_size = 2;
  std::optional<Size2> strides;                   // default: pool_size
  std::string padding = "valid";                  // or "same"
  std::vector<int64_t> input_shape;               // (h, w, c); only for the first layer of a Sequential
};

class Pooling2D : public Layer {
 public:
  Pooling2D(std::string type, Pooling2DOptions opts);
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  const Pool2DArgs& pool_args() const { return args_; }

 protected:
  // The options in a MaxPooling2D/AveragePooling2D config (for the subclasses' from_config).
  static Pooling2DOptions options_from_config(const nlohmann::json& config, const std::string& type);
  virtual Tensor pool(const Tensor& x, const Pool2DArgs& args) const = 0;

 private:
  std::string who() const;
  Pool2DArgs args_;
  Pooling2DOptions opts_;
};

}  // namespace nabla::nn
