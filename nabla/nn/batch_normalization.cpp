#include "nabla/nn/batch_normalization.h"

#include "nabla/ops/batch_norm.h"

namespace nabla::nn {

BatchNormalization::BatchNormalization(BatchNormalizationOptions opts)
    : Layer("BatchNormalization"), opts_(std::move(opts)) {
  NABLA_CHECK(opts_.momentum >= 0 && opts_.momentum <= 1, "BatchNormalization: momentum must be in [0, 1], got ",
              opts_.momentum);
  NABLA_CHECK(opts_.epsilon > 0, "BatchNormalization: epsilon must be positive, got ", opts_.epsilon);
  declared_input_shape_ = opts_.input_shape;
}

void BatchNormalization::build(const std::vector<Shape>& in) {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 2, "layer '", name(),
                    "' (BatchNormalization) expects an input of rank >= 2, got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  Shape c{in[0].back()};
  if (opts_.scale) add_weight("gamma", c, initializer(opts_.gamma_initializer));
  if (opts_.center) add_weight("beta", c, initializer(opts_.beta_initializer));
  add_weight("moving_mean", c, initializer(opts_.moving_mean_initializer), false);
  add_weight("moving_variance", c, initializer(opts_.moving_variance_initializer), false);
}

const Tensor& BatchNormalization::weight(const std::string& n) const {
  for (const Weight& w : weights())
    if (w.name == n) return w.value;
  static const Tensor none;
  return none;
}
Tensor BatchNormalization::gamma() const { return weight("gamma"); }
Tensor BatchNormalization::beta() const { return weight("beta"); }
const Tensor& BatchNormalization::moving_mean() const { return weight("moving_mean"); }
const Tensor& BatchNormalization::moving_variance() const { return weight("moving_variance"); }

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

std::string BatchNormalization::config_str() const {
  return detail::concat("momentum=", opts_.momentum, ", epsilon=", opts_.epsilon);
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::BatchNormalization> BatchNormalization(nn::BatchNormalizationOptions opts) {
  return std::make_shared<nn::BatchNormalization>(std::move(opts));
}
}  // namespace nabla::layers
