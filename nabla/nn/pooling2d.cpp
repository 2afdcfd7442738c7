#include "nabla/nn/pooling2d.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"

namespace nabla::nn {

Pooling2D::Pooling2D(std::string type, Pooling2DOptions opts) : Layer(std::move(type)), opts_(std::move(opts)) {
  Size2 st = opts_.strides.value_or(opts_.pool_size);
  NABLA_CHECK(opts_.pool_size.h > 0 && opts_.pool_size.w > 0 && st.h > 0 && st.w > 0, this->type(),
              ": pool_size and strides must be positive, got pool_size ", opts_.pool_size.str(), " and strides ",
              st.str());
  NABLA_CHECK(opts_.input_shape.empty() || opts_.input_shape.size() == 3, this->type(),
              ": input_shape must be (height, width, channels), got ", Shape(opts_.input_shape).str());
  args_.pool_size = {opts_.pool_size.h, opts_.pool_size.w};
  args_.strides = std::array<int64_t, 2>{st.h, st.w};
  args_.padding = parse_padding(opts_.padding, this->type());
  declared_input_shape_ = opts_.input_shape;
}

std::string Pooling2D::who() const { return detail::concat("layer '", name(), "' (", type(), ")"); }

Shape Pooling2D::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1, who(), " takes one input, got ", in.size());
  return pool2d_output_shape(in[0], args_, who());
}

Tensor Pooling2D::call(const Tensor& x, bool) {
  pool2d_output_shape(x.shape(), args_, who());  // errors name this layer rather than the op
  return pool(x, args_);
}

nlohmann::json Pooling2D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["pool_size"] = opts_.pool_size.json();
  c["padding"] = padding_name(args_.padding);
  c["strides"] = opts_.strides.value_or(opts_.pool_size).json();
  c["data_format"] = "channels_last";
  return c;
}

Pooling2DOptions Pooling2D::options_from_config(const nlohmann::json& c, const std::string& type) {
  const std::string who = type + " config";
  NABLA_CHECK(saving::get_string(c, "data_format", "channels_last", who) == "channels_last", who,
              ": nabla pools channels_last (NHWC) inputs only, got data_format ", c["data_format"].dump());
  Pooling2DOptions o;
  o.pool_size = Size2::from_json(c.value("pool_size", nlohmann::json(2)), who + " pool_size");
  if (c.contains("strides") && !c["strides"].is_null()) o.strides = Size2::from_json(c["strides"], who + " strides");
  o.padding = saving::get_string(c, "padding", "valid", who);
  return o;
}

}  // namespace nabla::nn
