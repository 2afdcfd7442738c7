#include "nabla/nn/conv2d.h"

#include <sstream>

#include "nabla/autograd/node.h"
#include "nabla/nn/layer_registry.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/activations.h"
#include "nabla/ops/conv.h"
#include "nabla/ops/conv_max_pool.h"

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
  args_ = Conv2DArgs{{opts_.strides.h, opts_.strides.w}, parse_padding(opts_.padding, "Conv2D"),
                     {opts_.dilation_rate.h, opts_.dilation_rate.w},
                     opts_.activation == "relu" ? FusedActivation::relu : FusedActivation::none};
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
  add_weight("kernel", Shape{kernel_size_.h, kernel_size_.w, in[0][3], filters_}, opts_.kernel_initializer, true, f32,
             opts_.kernel_regularizer);
  if (opts_.use_bias) add_weight("bias", Shape{filters_}, opts_.bias_initializer, true, f32, opts_.bias_regularizer);
}

Shape Conv2D::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() == 4, who(),
                    " expects an input of rank 4 (batch, height, width, channels), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  int64_t channels = built() ? kernel().size(2) : in[0][3];
  return conv2d_output_shape(in[0], Shape{kernel_size_.h, kernel_size_.w, channels, filters_}, args_, who());
}

Tensor Conv2D::call(const Tensor& x, bool) {
  const Tensor w = kernel();
  NABLA_CHECK_SHAPE(x.dim() == 4 && x.size(3) == w.size(2), who(), " expects inputs of shape (None, height, width, ",
                    w.size(2), "), got shape ", x.shape().str());
  // Shape errors (a window larger than the input) name this layer rather than the op.
  conv2d_output_shape(x.shape(), w.shape(), args_, who());
  Tensor y = conv2d(x, w, bias(), args_);
  return args_.activation == FusedActivation::relu ? y : nabla::activation(y, opts_.activation);
}

std::optional<Tensor> Conv2D::call_with_max_pool(const Tensor& x, MaxPooling2D& pool) {
  Shape s = x.shape();
  if (!s.empty()) s[0] = -1;
  ensure_built({s});
  const Tensor w = kernel();
  if (!conv2d_relu_max_pool2d_applies(x, w, args_, pool.pool_args())) return std::nullopt;
  pool.ensure_built({compute_output_shape({s})});
  autograd::NameScope scope(name());
  return conv2d_relu_max_pool2d(x, w, bias(), args_, pool.pool_args());
}

nlohmann::json Conv2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["filters"] = filters_;
  c["kernel_size"] = kernel_size_.json();
  c["strides"] = opts_.strides.json();
  c["padding"] = padding_name(args_.padding);
  c["data_format"] = "channels_last";
  c["dilation_rate"] = opts_.dilation_rate.json();
  c["groups"] = 1;
  c["activation"] = serialize_activation(opts_.activation);
  c["use_bias"] = opts_.use_bias;
  c["kernel_initializer"] = serialize_initializer(opts_.kernel_initializer);
  c["bias_initializer"] = serialize_initializer(opts_.bias_initializer);
  c["kernel_regularizer"] = serialize_regularizer(opts_.kernel_regularizer);
  c["bias_regularizer"] = serialize_regularizer(opts_.bias_regularizer);
  c["activity_regularizer"] = nullptr;
  c["kernel_constraint"] = nullptr;
  c["bias_constraint"] = nullptr;
  return c;
}

std::shared_ptr<Conv2D> Conv2D::from_config(const nlohmann::json& c) {
  const std::string who = "Conv2D config";
  for (const char* k : {"kernel_constraint", "bias_constraint", "activity_regularizer"}) saving::require_null(c, k, who);
  NABLA_CHECK(saving::get_string(c, "data_format", "channels_last", who) == "channels_last", who,
              ": nabla's Conv2D takes channels_last (NHWC) inputs only, got data_format ", c["data_format"].dump());
  NABLA_CHECK(saving::get_int(c, "groups", 1, who) == 1, who, ": groups > 1 is not supported, got ", c["groups"].dump());
  NABLA_CHECK(c.contains("filters") && c.contains("kernel_size"), who, ": \"filters\" and \"kernel_size\" are required");
  Conv2DOptions o;
  o.strides = Size2::from_json(c.value("strides", nlohmann::json(1)), who + " strides");
  o.padding = saving::get_string(c, "padding", "valid", who);
  o.dilation_rate = Size2::from_json(c.value("dilation_rate", nlohmann::json(1)), who + " dilation_rate");
  o.activation = deserialize_activation(c.value("activation", nlohmann::json(nullptr)), who);
  o.use_bias = saving::get_bool(c, "use_bias", true, who);
  if (c.contains("kernel_initializer")) o.kernel_initializer = deserialize_initializer(c["kernel_initializer"]);
  if (c.contains("bias_initializer")) o.bias_initializer = deserialize_initializer(c["bias_initializer"]);
  if (c.contains("kernel_regularizer")) o.kernel_regularizer = deserialize_regularizer(c["kernel_regularizer"]);
  if (c.contains("bias_regularizer")) o.bias_regularizer = deserialize_regularizer(c["bias_regularizer"]);
  auto layer = std::make_shared<Conv2D>(saving::get_int(c, "filters", 0, who),
                                        Size2::from_json(c["kernel_size"], who + " kernel_size"), std::move(o));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Conv2D> Conv2D(int64_t filters, nn::Size2 kernel_size, const std::string& activation,
                                   nn::Conv2DOptions opts) {
  if (!activation.empty()) opts.activation = activation;
  return std::make_shared<nn::Conv2D>(filters, kernel_size, std::move(opts));
}
}  // namespace nabla::layers
