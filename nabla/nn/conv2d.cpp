#include "nabla/nn/conv2d.h"

#include <sstream>

#include "nabla/ops/activations.h"
#include "nabla/ops/conv.h"

namespace nabla::nn {

Conv2D::Conv2D(int64_t filters, Size2 kernel_size, Conv2DOptions opts)
    : Layer("Conv2D"), filters_(filters), kernel_size_(kernel_size), opts_(std::move(opts)) {
  NABLA_CHECK(filters > 0, "Conv2D: filters must be positive, got ", filters);
  NABLA_CHECK(kernel_size.h > 0 && kernel_size.w > 0, "Conv2D: kernel_size must be positive, got ",
              kernel_size.str());
  NABLA_CHECK(opts_.strides.h > 0 && opts_.strides.w > 0, "Conv2D: strides must be positive, got ",
              opts_.strides.str());
  NABLA_CHECK(opts_.dilation_rate.h > 0 && opts_.dilation_rate.w > 0, "Conv2D: dilation_rate must be positive, got ",
              opts_.dilation_rate.str());
  NABLA_CHECK(opts_.strides == Size2(1) || opts_.dilation_rate == Size2(1),
              "Conv2D: strides > 1 cannot be combined with dilation_rate > 1 (got strides ", opts_.strides.str(),
              ", dilation_rate ", opts_.dilation_rate.str(), ")");
  parse_padding(opts_.padding, "Conv2D");
  NABLA_CHECK(is_activation_name(opts_.activation), "Conv2D: unknown activation '", opts_.activation, "'");
  NABLA_CHECK(opts_.input_shape.empty() || opts_.input_shape.size() == 3,
              "Conv2D: input_shape must be (height, width, channels), got ", Shape(opts_.input_shape).str());
  declared_input_shape_ = opts_.input_shape;
}

std::string Conv2D::who() const { return detail::concat("layer '", name(), "' (Conv2D)"); }

void Conv2D::build(const std::vector<Shape>& in) {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() == 4, who(),
                    " expects an input of rank 4 (batch, height, width, channels), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  add_weight("kernel", Shape{kernel_size_.h, kernel_size_.w, in[0][3], filters_},
             initializer(opts_.kernel_initializer));
  if (opts_.use_bias) add_weight("bias", Shape{filters_}, initializer(opts_.bias_initializer));
}

Shape Conv2D::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() == 4, who(),
                    " expects an input of rank 4 (batch, height, width, channels), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  int64_t channels = built() ? kernel().size(2) : in[0][3];
  Conv2DArgs args{{opts_.strides.h, opts_.strides.w}, parse_padding(opts_.padding, "Conv2D"),
                  {opts_.dilation_rate.h, opts_.dilation_rate.w}};
  return conv2d_output_shape(in[0], Shape{kernel_size_.h, kernel_size_.w, channels, filters_}, args, who());
}

Tensor Conv2D::call(const Tensor& x, bool) {
  const Tensor& w = kernel();
  NABLA_CHECK_SHAPE(x.dim() == 4 && x.size(3) == w.size(2), who(), " expects inputs of shape (None, height, width, ",
                    w.size(2), "), got shape ", x.shape().str());
  bool fuse_relu = opts_.activation == "relu";
  Conv2DArgs args{{opts_.strides.h, opts_.strides.w}, parse_padding(opts_.padding, "Conv2D"),
                  {opts_.dilation_rate.h, opts_.dilation_rate.w},
                  fuse_relu ? FusedActivation::relu : FusedActivation::none};
  // Shape errors (a window larger than the input) name this layer rather than the op.
  conv2d_output_shape(x.shape(), w.shape(), args, who());
  Tensor y = conv2d(x, w, bias(), args);
  return fuse_relu ? y : nabla::activation(y, opts_.activation);
}

std::string Conv2D::config_str() const {
  std::ostringstream s;
  s << "filters=" << filters_ << ", kernel_size=" << kernel_size_.str();
  if (!(opts_.strides == Size2(1))) s << ", strides=" << opts_.strides.str();
  if (opts_.padding != "valid") s << ", padding=" << opts_.padding;
  if (!(opts_.dilation_rate == Size2(1))) s << ", dilation_rate=" << opts_.dilation_rate.str();
  if (!opts_.activation.empty()) s << ", activation=" << opts_.activation;
  return s.str();
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Conv2D> Conv2D(int64_t filters, nn::Size2 kernel_size, const std::string& activation,
                                   nn::Conv2DOptions opts) {
  if (!activation.empty()) opts.activation = activation;
  return std::make_shared<nn::Conv2D>(filters, kernel_size, std::move(opts));
}
}  // namespace nabla::layers
