#include "nabla/nn/masking.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

Tensor mask_as(const Tensor& mask, DType dt) {
  Tensor m = mask.detach().to(f64).contiguous();
  Tensor r = make_tensor(m.shape(), f64);
  const double* p = m.data<double>();
  double* o = r.data<double>();
  for (int64_t i = 0; i < m.numel(); ++i) o[i] = p[i] != 0 ? 1.0 : 0.0;
  return r.to(dt);
}

Tensor any_not_equal_last_axis(const Tensor& x, double value) {
  NABLA_CHECK_SHAPE(x.dim() >= 2, "Masking: expects inputs of rank >= 2 ([batch, steps, features]), got shape ",
                    x.shape().str());
  Tensor v = x.detach().to(f64).contiguous();
  Shape s = x.shape();
  const int64_t f = s.back();
  s.erase(s.size() - 1);
  Tensor r = make_tensor(s, u8);
  const double* p = v.data<double>();
  uint8_t* o = r.data<uint8_t>();
  for (int64_t i = 0; i < r.numel(); ++i) {
    uint8_t any = 0;
    for (int64_t j = 0; j < f && !any; ++j) any = p[i * f + j] != value;
    o[i] = any;
  }
  return r;
}

Tensor not_equal_mask(const Tensor& x, double value) {
  Tensor v = x.detach().to(f64).contiguous();
  Tensor r = make_tensor(x.shape(), u8);
  const double* p = v.data<double>();
  uint8_t* o = r.data<uint8_t>();
  for (int64_t i = 0; i < r.numel(); ++i) o[i] = p[i] != value;
  return r;
}

void check_mask_shape(const Tensor& x, const Tensor& mask, const std::string& who) {
  bool ok = mask.dim() == x.dim() - 1;
  for (int d = 0; ok && d < mask.dim(); ++d) ok = mask.shape()[d] == x.shape()[d];
  NABLA_CHECK_SHAPE(ok, who, ": the mask must have the input's shape without its last axis; got mask shape ",
                    mask.shape().str(), " for input shape ", x.shape().str());
}

Masking::Masking(double mask_value, std::vector<int64_t> input_shape) : Layer("Masking"), mask_value_(mask_value) {
  declared_input_shape_ = std::move(input_shape);
  supports_masking_ = true;
}

Shape Masking::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 2, "layer '", name(),
                    "' (Masking) expects one input of rank >= 2 ([batch, steps, features]), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  return in[0];
}

// Masked steps become zeros (Keras: where(mask, x, 0)); the gradient reaches only the unmasked steps.
Tensor Masking::call(const Tensor& x, bool) {
  Tensor m = mask_as(any_not_equal_last_axis(x, mask_value_), x.dtype());
  return x * unsqueeze(m, -1);
}

// Keras recomputes the mask from the input; an incoming mask is replaced.
Tensor Masking::compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>&) const {
  return any_not_equal_last_axis(inputs.at(0), mask_value_);
}

nlohmann::json Masking::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["mask_value"] = mask_value_;
  return c;
}

std::shared_ptr<Masking> Masking::from_config(const nlohmann::json& c) {
  const std::string who = "Masking config";
  NABLA_CHECK(!c.contains("mask_value") || c["mask_value"].is_number(), who,
              ": \"mask_value\" must be a number, got ", c.contains("mask_value") ? c["mask_value"].dump() : "");
  auto layer = std::make_shared<Masking>(saving::get_double(c, "mask_value", 0.0, who));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Masking> Masking(double mask_value, std::vector<int64_t> input_shape) {
  return std::make_shared<nn::Masking>(mask_value, std::move(input_shape));
}
}  // namespace nabla::layers
