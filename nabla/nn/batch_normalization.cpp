#include "nabla/nn/batch_normalization.h"

#include <nlohmann/json.hpp>

#include "nabla/autograd/grad_mode.h"
#include "nabla/nn/masking.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/ops/batch_norm.h"

namespace nabla::nn {

BatchNormalization::BatchNormalization(BatchNormalizationOptions opts)
    : Layer("BatchNormalization"), opts_(std::move(opts)) {
  NABLA_CHECK(opts_.momentum >= 0 && opts_.momentum <= 1, "BatchNormalization: momentum must be in [0, 1], got ",
              opts_.momentum);
  NABLA_CHECK(opts_.epsilon > 0, "BatchNormalization: epsilon must be positive, got ", opts_.epsilon);
  declared_input_shape_ = opts_.input_shape;
  supports_masking_ = true;
}

void BatchNormalization::build(const std::vector<Shape>& in) {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 2, "layer '", name(),
                    "' (BatchNormalization) expects an input of rank >= 2, got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  Shape c{in[0].back()};
  if (opts_.scale) add_weight("gamma", c, opts_.gamma_initializer);
  if (opts_.center) add_weight("beta", c, opts_.beta_initializer);
  add_weight("moving_mean", c, opts_.moving_mean_initializer, false);
  add_weight("moving_variance", c, opts_.moving_variance_initializer, false);
}

Tensor BatchNormalization::gamma() const { return opts_.scale ? weight("gamma") : Tensor(); }
Tensor BatchNormalization::beta() const { return opts_.center ? weight("beta") : Tensor(); }

Shape BatchNormalization::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 2, "layer '", name(),
                    "' (BatchNormalization) expects an input of rank >= 2, got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  if (built()) {
    int64_t c = moving_mean().size(0);
    NABLA_CHECK_SHAPE(in[0].back() == c, "layer '", name(), "' (BatchNormalization) was built for ", c,
                      " channels (last axis), got input shape ", in[0].str());
  }
  return in[0];
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  int64_t c = moving_mean().size(0);
  NABLA_CHECK_SHAPE(x.dim() >= 2 && x.shape().back() == c, "layer '", name(),
                    "' (BatchNormalization) expects inputs with last axis ", c, ", got shape ", x.shape().str());
  // A frozen layer (trainable = false) runs in inference mode, as in Keras 2.x and later.
  return batch_norm(x, gamma(), beta(), moving_mean(), moving_variance(),
                    {training && trainable, opts_.momentum, opts_.epsilon});
}

// Keras 3's _moments with a mask: mean = sum(m x) / (sum(m) + 1e-7), variance = sum(m (x - mean)^2) / (sum(m) +
// 1e-7) over every axis but the channels, m broadcast over the channels; composed of differentiable ops, so the
// gradient flows through the masked statistics as in Keras.
Tensor BatchNormalization::call_masked(const Tensor& x, const Tensor& mask, bool training) {
  const std::string who = "layer '" + name() + "' (BatchNormalization)";
  check_mask_shape(x, mask, who);
  if (!(training && trainable)) return call(x, training);
  int64_t c = moving_mean().size(0);
  NABLA_CHECK_SHAPE(x.shape().back() == c, who, " expects inputs with last axis ", c, ", got shape ",
                    x.shape().str());
  std::vector<int> axes;
  for (int d = 0; d + 1 < x.dim(); ++d) axes.push_back(d);
  Tensor m = unsqueeze(mask_as(mask, x.dtype()), -1);  // [..., 1]
  Tensor count = sum(m) + 1e-7;                          // the unmasked steps (the same for every channel)
  Tensor mu = sum(x * m, axes) / count;                  // [C]
  Tensor d = x - mu;
  Tensor var = sum(square(d) * m, axes) / count;
  {
    NoGradGuard ng;
    const double k = opts_.momentum;
    Tensor mm = moving_mean(), mv = moving_variance();
    mm.copy_((mm * k + mu.detach() * (1 - k)).to(mm.dtype()));
    mv.copy_((mv * k + var.detach() * (1 - k)).to(mv.dtype()));
  }
  Tensor y = d / sqrt(var + opts_.epsilon);
  if (opts_.scale) y = y * gamma();
  if (opts_.center) y = y + beta();
  return y;
}

nlohmann::json BatchNormalization::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = -1;
  c["momentum"] = opts_.momentum;
  c["epsilon"] = opts_.epsilon;
  c["center"] = opts_.center;
  c["scale"] = opts_.scale;
  c["beta_initializer"] = serialize_initializer(opts_.beta_initializer);
  c["gamma_initializer"] = serialize_initializer(opts_.gamma_initializer);
  c["moving_mean_initializer"] = serialize_initializer(opts_.moving_mean_initializer);
  c["moving_variance_initializer"] = serialize_initializer(opts_.moving_variance_initializer);
  c["beta_regularizer"] = nullptr;
  c["gamma_regularizer"] = nullptr;
  c["beta_constraint"] = nullptr;
  c["gamma_constraint"] = nullptr;
  c["synchronized"] = false;
  c["renorm"] = false;
  c["renorm_clipping"] = nullptr;
  c["renorm_momentum"] = 0.99;
  return c;
}

std::shared_ptr<BatchNormalization> BatchNormalization::from_config(const nlohmann::json& c) {
  const std::string who = "BatchNormalization config";
  for (const char* k : {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                        "renorm_clipping"})
    saving::require_null(c, k, who);
  auto axis = saving::get_ints(c, "axis", {-1}, who);
  NABLA_CHECK(axis.size() == 1 && axis[0] == -1, who, ": nabla normalizes over the last axis only (axis -1), got ",
              c["axis"].dump());
  NABLA_CHECK(!saving::get_bool(c, "renorm", false, who), who, ": renorm is not supported");
  NABLA_CHECK(!saving::get_bool(c, "synchronized", false, who), who, ": synchronized is not supported");
  BatchNormalizationOptions o;
  o.momentum = saving::get_double(c, "momentum", 0.99, who);
  o.epsilon = saving::get_double(c, "epsilon", 1e-3, who);
  o.center = saving::get_bool(c, "center", true, who);
  o.scale = saving::get_bool(c, "scale", true, who);
  if (c.contains("beta_initializer")) o.beta_initializer = deserialize_initializer(c["beta_initializer"]);
  if (c.contains("gamma_initializer")) o.gamma_initializer = deserialize_initializer(c["gamma_initializer"]);
  if (c.contains("moving_mean_initializer"))
    o.moving_mean_initializer = deserialize_initializer(c["moving_mean_initializer"]);
  if (c.contains("moving_variance_initializer"))
    o.moving_variance_initializer = deserialize_initializer(c["moving_variance_initializer"]);
  auto layer = std::make_shared<BatchNormalization>(std::move(o));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::BatchNormalization> BatchNormalization(nn::BatchNormalizationOptions opts) {
  return std::make_shared<nn::BatchNormalization>(std::move(opts));
}
}  // namespace nabla::layers
