#include "nabla/nn/global_average_pooling1d.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/masking.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

namespace {
Shape pooled_shape(const std::vector<Shape>& in, bool keepdims, const std::string& name, const char* type) {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() == 3, "layer '", name, "' (", type,
                    ") expects an input of rank 3 (batch, steps, features), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  return keepdims ? Shape{in[0][0], 1, in[0][2]} : Shape{in[0][0], in[0][2]};
}
Shape batch_free(const Tensor& x) {
  Shape s = x.shape();
  if (s.size()) s[0] = -1;
  return s;
}
// Keras's data_format and keepdims; nabla pools channels_last only.
bool read_pooling_config(const nlohmann::json& c, const std::string& who) {
  NABLA_CHECK(saving::get_string(c, "data_format", "channels_last", who) == "channels_last", who,
              ": only data_format channels_last is supported, got ", c["data_format"].dump());
  return saving::get_bool(c, "keepdims", false, who);
}
}  // namespace

GlobalAveragePooling1D::GlobalAveragePooling1D(bool keepdims, std::vector<int64_t> input_shape)
    : Layer("GlobalAveragePooling1D"), keepdims_(keepdims) {
  declared_input_shape_ = std::move(input_shape);
  supports_masking_ = true;
}

Shape GlobalAveragePooling1D::compute_output_shape(const std::vector<Shape>& in) const {
  return pooled_shape(in, keepdims_, name(), "GlobalAveragePooling1D");
}

Tensor GlobalAveragePooling1D::call(const Tensor& x, bool) {
  compute_output_shape({batch_free(x)});  // errors name this layer
  return mean(x, {1}, keepdims_);
}

// The mean over the unmasked steps: sum(x * m) / sum(m), as Keras (a row with every step masked gives NaN there
// too).
Tensor GlobalAveragePooling1D::call_masked(const Tensor& x, const Tensor& mask, bool) {
  compute_output_shape({batch_free(x)});
  check_mask_shape(x, mask, "layer '" + name() + "' (GlobalAveragePooling1D)");
  Tensor m = unsqueeze(mask_as(mask, x.dtype()), -1);  // [N, T, 1]
  return sum(x * m, {1}, keepdims_) / sum(m, {1}, keepdims_);
}

nlohmann::json GlobalAveragePooling1D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["keepdims"] = keepdims_;
  return c;
}

std::shared_ptr<GlobalAveragePooling1D> GlobalAveragePooling1D::from_config(const nlohmann::json& c) {
  auto layer = std::make_shared<GlobalAveragePooling1D>(read_pooling_config(c, "GlobalAveragePooling1D config"));
  layer->load_base_config(c);
  return layer;
}

GlobalMaxPooling1D::GlobalMaxPooling1D(bool keepdims, std::vector<int64_t> input_shape)
    : Layer("GlobalMaxPooling1D"), keepdims_(keepdims) {
  declared_input_shape_ = std::move(input_shape);
}

Shape GlobalMaxPooling1D::compute_output_shape(const std::vector<Shape>& in) const {
  return pooled_shape(in, keepdims_, name(), "GlobalMaxPooling1D");
}

Tensor GlobalMaxPooling1D::call(const Tensor& x, bool) {
  compute_output_shape({batch_free(x)});
  return max(x, 1, keepdims_);
}

nlohmann::json GlobalMaxPooling1D::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["data_format"] = "channels_last";
  c["keepdims"] = keepdims_;
  return c;
}

std::shared_ptr<GlobalMaxPooling1D> GlobalMaxPooling1D::from_config(const nlohmann::json& c) {
  auto layer = std::make_shared<GlobalMaxPooling1D>(read_pooling_config(c, "GlobalMaxPooling1D config"));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::GlobalAveragePooling1D> GlobalAveragePooling1D(bool keepdims, std::vector<int64_t> input_shape) {
  return std::make_shared<nn::GlobalAveragePooling1D>(keepdims, std::move(input_shape));
}
std::shared_ptr<nn::GlobalMaxPooling1D> GlobalMaxPooling1D(bool keepdims, std::vector<int64_t> input_shape) {
  return std::make_shared<nn::GlobalMaxPooling1D>(keepdims, std::move(input_shape));
}
}  // namespace nabla::layers
