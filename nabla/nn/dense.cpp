#include "nabla/nn/dense.h"

#include "nabla/nn/layer_registry.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/activations.h"
#include "nabla/ops/linear.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

Dense::Dense(int64_t units, DenseOptions opts) : Layer("Dense"), units_(units), opts_(std::move(opts)) {
  supports_masking_ = true;  // passes the mask on unchanged, as Keras
  NABLA_CHECK(units > 0, "Dense: units must be positive, got ", units);
  NABLA_CHECK(is_activation_name(opts_.activation), "Dense: unknown activation '", opts_.activation, "'");
  declared_input_shape_ = opts_.input_shape;
}

void Dense::build(const std::vector<Shape>& in) {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 2, "layer '", name(), "' (Dense) expects an input of rank >= 2, got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  int64_t fan_in = in[0].back();
  add_weight("kernel", Shape{fan_in, units_}, opts_.kernel_initializer, true, f32, opts_.kernel_regularizer);
  if (opts_.use_bias) add_weight("bias", Shape{units_}, opts_.bias_initializer, true, f32, opts_.bias_regularizer);
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
  const Tensor w = kernel();
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

nlohmann::json Dense::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["units"] = units_;
  c["activation"] = serialize_activation(opts_.activation);
  c["use_bias"] = opts_.use_bias;
  c["kernel_initializer"] = serialize_initializer(opts_.kernel_initializer);
  c["bias_initializer"] = serialize_initializer(opts_.bias_initializer);
  c["kernel_regularizer"] = serialize_regularizer(opts_.kernel_regularizer);
  c["bias_regularizer"] = serialize_regularizer(opts_.bias_regularizer);
  c["kernel_constraint"] = nullptr;
  c["bias_constraint"] = nullptr;
  c["quantization_config"] = nullptr;
  return c;
}

std::shared_ptr<Dense> Dense::from_config(const nlohmann::json& c) {
  const std::string who = "Dense config";
  for (const char* k : {"kernel_constraint", "bias_constraint", "activity_regularizer", "quantization_config"})
    saving::require_null(c, k, who);
  NABLA_CHECK(c.contains("units"), who, ": \"units\" is required");
  DenseOptions o;
  o.activation = deserialize_activation(c.value("activation", nlohmann::json(nullptr)), who);
  o.use_bias = saving::get_bool(c, "use_bias", true, who);
  if (c.contains("kernel_initializer")) o.kernel_initializer = deserialize_initializer(c["kernel_initializer"]);
  if (c.contains("bias_initializer")) o.bias_initializer = deserialize_initializer(c["bias_initializer"]);
  if (c.contains("kernel_regularizer")) o.kernel_regularizer = deserialize_regularizer(c["kernel_regularizer"]);
  if (c.contains("bias_regularizer")) o.bias_regularizer = deserialize_regularizer(c["bias_regularizer"]);
  auto layer = std::make_shared<Dense>(saving::get_int(c, "units", 0, who), std::move(o));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Dense> Dense(int64_t units, const std::string& activation, nn::DenseOptions opts) {
  if (!activation.empty()) opts.activation = activation;
  return std::make_shared<nn::Dense>(units, std::move(opts));
}
}  // namespace nabla::layers
