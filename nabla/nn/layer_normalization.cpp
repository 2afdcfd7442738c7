#include "nabla/nn/layer_normalization.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
#include "nabla/ops/layer_norm.h"

namespace nabla::nn {

LayerNormalization::LayerNormalization(LayerNormalizationOptions opts)
    : Layer("LayerNormalization"), opts_(std::move(opts)) {
  supports_masking_ = true;  // the mask passes on unchanged, as in Keras
  NABLA_CHECK(!opts_.axis.empty(), "LayerNormalization: axis must name at least one axis");
  NABLA_CHECK(opts_.epsilon > 0, "LayerNormalization: epsilon must be positive, got ", opts_.epsilon);
  declared_input_shape_ = opts_.input_shape;
}

Shape LayerNormalization::param_shape(const Shape& in) const {
  const int rank = in.size();
  std::vector<int> axes;
  for (int64_t a : opts_.axis) {
    int64_t p = a < 0 ? a + rank : a;
    NABLA_CHECK_SHAPE(p >= 1 && p < rank, "layer '", name(), "' (LayerNormalization): axis ", a,
                      " is out of range for an input of shape ", in.str(), " (the batch axis 0 cannot be normalized)");
    axes.push_back(int(p));
  }
  std::sort(axes.begin(), axes.end());
  for (size_t i = 0; i < axes.size(); ++i)
    NABLA_CHECK_SHAPE(axes[i] == rank - int(axes.size()) + int(i), "layer '", name(),
                      "' (LayerNormalization): nabla normalizes over trailing axes only; axis ",
                      saving::json(opts_.axis).dump(), " on an input of shape ", in.str(), " is not a run of its last axes");
  Shape s;
  for (int a : axes) {
    NABLA_CHECK_SHAPE(in[a] > 0, "layer '", name(), "' (LayerNormalization): normalized axis ", a,
                      " of input shape ", in.str(), " must have a known size");
    s.push_back(in[a]);
  }
  return s;
}

void LayerNormalization::build(const std::vector<Shape>& in) {
  NABLA_CHECK_SHAPE(in.size() == 1, "layer '", name(), "' (LayerNormalization) takes one input, got ", in.size());
  Shape p = param_shape(in[0]);
  if (opts_.scale) add_weight("gamma", p, opts_.gamma_initializer, true, f32, opts_.gamma_regularizer);
  if (opts_.center) add_weight("beta", p, opts_.beta_initializer, true, f32, opts_.beta_regularizer);
}

Shape LayerNormalization::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1, "layer '", name(), "' (LayerNormalization) takes one input, got ", in.size());
  Shape p = param_shape(in[0]);
  if (built() && (opts_.scale || opts_.center)) {
    Shape have = opts_.scale ? gamma().shape() : beta().shape();
    NABLA_CHECK_SHAPE(have == p, "layer '", name(), "' (LayerNormalization) was built for normalized axes ",
                      have.str(), ", got an input of shape ", in[0].str());
  }
  return in[0];
}

Tensor LayerNormalization::gamma() const { return opts_.scale ? weight("gamma") : Tensor(); }
Tensor LayerNormalization::beta() const { return opts_.center ? weight("beta") : Tensor(); }

Tensor LayerNormalization::call(const Tensor& x, bool) {
  Shape shape = x.shape();
  if (shape.size()) shape[0] = -1;
  Shape p = param_shape(shape);
  int64_t n = 1;
  for (int64_t d : p) n *= d;
  compute_output_shape({shape});
  return layer_norm(x, gamma(), beta(), n, opts_.epsilon);
}

nlohmann::json LayerNormalization::get_config() const {
  nlohmann::json c = Layer::get_config();
  // Keras writes what it was given (an int or a list) and, once built, the list it resolved.
  c["axis"] = opts_.axis.size() == 1 && !built() ? nlohmann::json(opts_.axis[0]) : nlohmann::json(opts_.axis);
  c["epsilon"] = opts_.epsilon;
  c["center"] = opts_.center;
  c["scale"] = opts_.scale;
  c["rms_scaling"] = false;
  c["beta_initializer"] = serialize_initializer(opts_.beta_initializer);
  c["gamma_initializer"] = serialize_initializer(opts_.gamma_initializer);
  c["beta_regularizer"] = serialize_regularizer(opts_.beta_regularizer);
  c["gamma_regularizer"] = serialize_regularizer(opts_.gamma_regularizer);
  c["beta_constraint"] = nullptr;
  c["gamma_constraint"] = nullptr;
  return c;
}

std::shared_ptr<LayerNormalization> LayerNormalization::from_config(const nlohmann::json& c) {
  const std::string who = "LayerNormalization config";
  for (const char* k : {"beta_constraint", "gamma_constraint"}) saving::require_null(c, k, who);
  NABLA_CHECK(!saving::get_bool(c, "rms_scaling", false, who), who,
              ": rms_scaling (deprecated in Keras 3) is not supported");
  LayerNormalizationOptions o;
  if (c.contains("axis") && c["axis"].is_number_integer())
    o.axis = {c["axis"].get<int64_t>()};
  else
    o.axis = saving::get_ints(c, "axis", {-1}, who);
  o.epsilon = saving::get_double(c, "epsilon", 1e-3, who);
  o.center = saving::get_bool(c, "center", true, who);
  o.scale = saving::get_bool(c, "scale", true, who);
  if (c.contains("beta_initializer")) o.beta_initializer = deserialize_initializer(c["beta_initializer"]);
  if (c.contains("gamma_initializer")) o.gamma_initializer = deserialize_initializer(c["gamma_initializer"]);
  if (c.contains("beta_regularizer")) o.beta_regularizer = deserialize_regularizer(c["beta_regularizer"]);
  if (c.contains("gamma_regularizer")) o.gamma_regularizer = deserialize_regularizer(c["gamma_regularizer"]);
  auto layer = std::make_shared<LayerNormalization>(std::move(o));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::LayerNormalization> LayerNormalization(nn::LayerNormalizationOptions opts) {
  return std::make_shared<nn::LayerNormalization>(std::move(opts));
}
}  // namespace nabla::layers
