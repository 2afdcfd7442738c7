#include "nabla/nn/time_distributed.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/layer_registry.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

namespace {
// [N, T, rest...] -> [-1, rest...], the shape the wrapped layer sees.
Shape inner_shape(const Shape& s) {
  Shape r{-1};
  for (int i = 2; i < s.size(); ++i) r.push_back(s[i]);
  return r;
}
}  // namespace

TimeDistributed::TimeDistributed(LayerPtr layer, std::vector<int64_t> input_shape)
    : Layer("TimeDistributed"), layer_(std::move(layer)) {
  NABLA_CHECK(layer_ != nullptr, "TimeDistributed: no layer given");
  supports_masking_ = true;
  declared_input_shape_ = std::move(input_shape);
}

void TimeDistributed::build(const std::vector<Shape>& in) {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 3, "layer '", name(),
                    "' (TimeDistributed) expects one input of rank >= 3 ([batch, timesteps, ...]), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  layer_->ensure_built({inner_shape(in[0])});
  for (const Weight& w : layer_->weights()) weights().push_back(w);  // shares the tensors
}

Shape TimeDistributed::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 3, "layer '", name(),
                    "' (TimeDistributed) expects one input of rank >= 3 ([batch, timesteps, ...]), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  Shape o = layer_->compute_output_shape({inner_shape(in[0])});
  Shape r{in[0][0], in[0][1]};
  for (int i = 1; i < o.size(); ++i) r.push_back(o[i]);
  return r;
}

Tensor TimeDistributed::call(const Tensor& x, bool training) {
  NABLA_CHECK_SHAPE(x.dim() >= 3, "layer '", name(), "' (TimeDistributed) expects inputs of rank >= 3, got shape ",
                    x.shape().str());
  const int64_t n = x.size(0), t = x.size(1);
  Shape flat = inner_shape(x.shape());
  flat[0] = n * t;
  Tensor y = (*layer_)(reshape(x, flat), training);
  Shape out{n, t};
  for (int i = 1; i < y.dim(); ++i) out.push_back(y.size(i));
  return reshape(y, out);
}

nlohmann::json TimeDistributed::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["layer"] = serialize_layer(*layer_);
  return c;
}

std::shared_ptr<TimeDistributed> TimeDistributed::from_config(const nlohmann::json& c) {
  NABLA_CHECK(c.contains("layer") && c["layer"].is_object(),
              "TimeDistributed config: \"layer\" (the wrapped layer) is required");
  auto l = std::make_shared<TimeDistributed>(deserialize_layer(c["layer"], false));
  l->load_base_config(c);
  return l;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::TimeDistributed> TimeDistributed(nn::LayerPtr layer) {
  return std::make_shared<nn::TimeDistributed>(std::move(layer));
}
}  // namespace nabla::layers
