#include "nabla/nn/input_layer.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
namespace nabla::nn {

InputLayer::InputLayer(std::vector<int64_t> shape) : Layer("InputLayer"), shape_(std::move(shape)) {
  for (int64_t d : shape_) NABLA_CHECK_SHAPE(d > 0 || d == -1, "Input: dimensions must be positive or -1, got ", d);
  declared_input_shape_ = shape_;
}

Shape InputLayer::shape() const {
  Shape s{-1};
  for (int64_t d : shape_) s.push_back(d);
  return s;
}

Shape InputLayer::compute_output_shape(const std::vector<Shape>&) const { return shape(); }

nlohmann::json InputLayer::get_config() const {
  nlohmann::json c = nlohmann::json::object();
  c["batch_shape"] = saving::shape_to_json(shape());
  c["dtype"] = "float32";
  c["sparse"] = false;
  c["ragged"] = false;
  c["name"] = name().empty() ? std::string("input_layer") : name();
  c["optional"] = false;
  return c;
}

std::shared_ptr<InputLayer> InputLayer::from_config(const nlohmann::json& c) {
  const std::string who = "InputLayer config";
  for (const char* k : {"sparse", "ragged", "optional"})
    NABLA_CHECK(!saving::get_bool(c, k, false, who), who, ": ", k, " inputs are not supported");
  Shape s;
  if (c.contains("batch_shape") && !c["batch_shape"].is_null())
    s = saving::shape_from_json(c["batch_shape"], who);
  else if (c.contains("batch_input_shape") && !c["batch_input_shape"].is_null())  // Keras 2 spelling
    s = saving::shape_from_json(c["batch_input_shape"], who);
  else
    throw ValueError(who + ": \"batch_shape\" is required");
  NABLA_CHECK(s.size() >= 1, who, ": batch_shape needs a batch axis, got ", c["batch_shape"].dump());
  // dtype is not checked: inputs may be ids (int32/int64) for an Embedding; nabla's tensors carry their own.
  auto layer = std::make_shared<InputLayer>(std::vector<int64_t>(s.begin() + 1, s.end()));
  layer->set_name(saving::get_string(c, "name", "", who));
  layer->ensure_built({layer->shape()});
  return layer;
}

}  // namespace nabla::nn
