#include "nabla/nn/flatten.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

Flatten::Flatten(std::vector<int64_t> input_shape) : Layer("Flatten") { declared_input_shape_ = std::move(input_shape); }

Shape Flatten::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 1, "layer '", name(), "' (Flatten) needs a batch axis");
  int64_t n = 1;
  for (int i = 1; i < in[0].size(); ++i) n *= in[0][i];
  return Shape{in[0][0], n};
}

Tensor Flatten::call(const Tensor& x, bool) {
  if (!declared_input_shape_.empty()) {
    Shape expect(declared_input_shape_);
    Shape got(x.shape().begin() + (x.dim() ? 1 : 0), x.shape().end());
    NABLA_CHECK_SHAPE(got == expect, "layer '", name(), "' (Flatten) expects inputs of shape (None, ",
                      expect.str().substr(1), ", got shape ", x.shape().str());
  }
  return reshape(x, Shape{x.dim() ? x.size(0) : 1, -1});
}

nlohmann::json Flatten::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = "channels_last";
  return c;
}

std::shared_ptr<Flatten> Flatten::from_config(const nlohmann::json& c) {
  const std::string who = "Flatten config";
  NABLA_CHECK(saving::get_string(c, "data_format", "channels_last", who) == "channels_last", who,
              ": only data_format channels_last is supported, got ", c["data_format"].dump());
  auto layer = std::make_shared<Flatten>();
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Flatten> Flatten(std::vector<int64_t> input_shape) {
  return std::make_shared<nn::Flatten>(std::move(input_shape));
}
}  // namespace nabla::layers
