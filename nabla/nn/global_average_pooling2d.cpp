#include "nabla/nn/global_average_pooling2d.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
#include "nabla/ops/pooling.h"

namespace nabla::nn {

GlobalAveragePooling2D::GlobalAveragePooling2D(std::vector<int64_t> input_shape) : Layer("GlobalAveragePooling2D") {
  declared_input_shape_ = std::move(input_shape);
}

Shape GlobalAveragePooling2D::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() == 4, "layer '", name(),
                    "' (GlobalAveragePooling2D) expects an input of rank 4 (batch, height, width, channels), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  return Shape{in[0][0], in[0][3]};
}

Tensor GlobalAveragePooling2D::call(const Tensor& x, bool) {
  Shape s = x.shape();
  if (s.size()) s[0] = -1;
  compute_output_shape({s});  // errors name this layer
  return global_avg_pool2d(x);
}

nlohmann::json GlobalAveragePooling2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["keepdims"] = false;
  return c;
}

std::shared_ptr<GlobalAveragePooling2D> GlobalAveragePooling2D::from_config(const nlohmann::json& c) {
  const std::string who = "GlobalAveragePooling2D config";
  NABLA_CHECK(saving::get_string(c, "data_format", "channels_last", who) == "channels_last", who,
              ": only data_format channels_last is supported, got ", c["data_format"].dump());
  NABLA_CHECK(!saving::get_bool(c, "keepdims", false, who), who, ": keepdims is not supported");
  auto layer = std::make_shared<GlobalAveragePooling2D>();
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::GlobalAveragePooling2D> GlobalAveragePooling2D(std::vector<int64_t> input_shape) {
  return std::make_shared<nn::GlobalAveragePooling2D>(std::move(input_shape));
}
}  // namespace nabla::layers
