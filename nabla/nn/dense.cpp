#include "nabla/nn/dense.h"

#include "nabla/ops/activations.h"
#include "nabla/ops/linear.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

Dense::Dense(int64_t units, DenseOptions opts) : Layer("Dense"), units_(units), opts_(std::move(opts)) {
  NABLA_CHECK(units > 0, "Dense: units must be positive, got ", units);
  NABLA_CHECK(is_activation_name(opts_.activation), "Dense: unknown activation '", opts_.activation, "'");
  declared_input_shape_ = opts_.input_shape;
}

void Dense::build(const std::vector<Shape>& in) {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 2, "layer '", name(), "' (Dense) expects an input of rank >= 2, got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  int64_t fan_in = in[0].back();
  add_weight("kernel", Shape{fan_in, units_}, initializer(opts_.kernel_initializer));
  if (opts_.use_bias) add_weight("bias", Shape{units_}, initializer(opts_.bias_initializer));
}

Shape Dense::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 2, "layer '", name(), "' (Dense) expects an input of rank >= 2, got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  if (built()) {
    int64_t expect = kernel().size(0);
    NABLA_CHECK_SHAPE(in[0].back() == expect, "layer '", name(), "' (Dense) expects inputs with last axis ", expect,
                      " (shape (None, ", expect, ")), got shape ", in[0].str());
  }
  Shape s = in[0];
  s[s.size() - 1] = units_;
  return s;
}

Tensor Dense::call(const Tensor& x0, bool) {
  const Tensor& w = kernel();
  NABLA_CHECK_SHAPE(x0.dim() >= 2 && x0.shape().back() == w.size(0), "layer '", name(),
                    "' (Dense) expects inputs of shape (None, ", w.size(0), "), got shape ", x0.shape().str());
  Tensor x = x0;
  Shape lead;
  if (x.dim() > 2) {  // Keras applies Dense to the last axis
    lead = Shape(x.shape().begin(), x.shape().end() - 1);
    x = reshape(x, Shape{-1, w.size(0)});
  }
  bool fuse_relu = opts_.activation == "relu";
  Tensor y = linear(x, w, bias(), fuse_relu ? FusedActivation::relu : FusedActivation::none);
  if (!fuse_relu) y = nabla::activation(y, opts_.activation);
  if (!lead.empty()) {
    Shape s = lead;
    s.push_back(units_);
    y = reshape(y, s);
  }
  return y;
}

std::string Dense::config_str() const {
  return "units=" + std::to_string(units_) + (opts_.activation.empty() ? "" : ", activation=" + opts_.activation);
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Dense> Dense(int64_t units, const std::string& activation, nn::DenseOptions opts) {
  if (!activation.empty()) opts.activation = activation;
  return std::make_shared<nn::Dense>(units, std::move(opts));
}
}  // namespace nabla::layers
