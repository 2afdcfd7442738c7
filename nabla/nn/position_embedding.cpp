#include "nabla/nn/position_embedding.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "nabla/nn/serialization.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

namespace {
void check_rank(const std::vector<Shape>& in, const std::string& who) {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 2, who, " expects one input [batch, time, features], got ",
                    in.empty() ? std::string("nothing") : in[0].str());
}
// y of shape [T, F] broadcast to x's shape (differentiable: the batch axes sum back in backward).
Tensor broadcast_like(const Tensor& y, const Tensor& x) { return add(Tensor::zeros(x.shape(), y.dtype()), y); }
}  // namespace

PositionEmbedding::PositionEmbedding(int64_t sequence_length, Initializer initializer)
    : Layer("PositionEmbedding"), sequence_length_(sequence_length), initializer_(std::move(initializer)) {
  NABLA_CHECK(sequence_length > 0, "PositionEmbedding: sequence_length must be positive, got ", sequence_length);
}

void PositionEmbedding::build(const std::vector<Shape>& in) {
  check_rank(in, "layer '" + name() + "' (PositionEmbedding)");
  add_weight("embeddings", Shape{sequence_length_, in[0].back()}, initializer_);
}

Shape PositionEmbedding::compute_output_shape(const std::vector<Shape>& in) const {
  const std::string who = "layer '" + name() + "' (PositionEmbedding)";
  check_rank(in, who);
  const Shape& s = in[0];
  NABLA_CHECK_SHAPE(s[s.size() - 2] <= sequence_length_, who, ": an input of ", s[s.size() - 2],
                    " steps is longer than sequence_length ", sequence_length_, " (shape ", s.str(), ")");
  if (built())
    NABLA_CHECK_SHAPE(s.back() == weight("embeddings").size(1), who, " was built for ",
                      weight("embeddings").size(1), " features, got shape ", s.str());
  return s;
}

Tensor PositionEmbedding::call(const Tensor& x, bool) {
  Shape s = x.shape();
  s[0] = -1;
  compute_output_shape({s});
  const int64_t t = x.size(x.dim() - 2);
  return broadcast_like(slice(weight("embeddings"), 0, 0, t), x);
}

nlohmann::json PositionEmbedding::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["sequence_length"] = sequence_length_;
  c["initializer"] = serialize_initializer(initializer_);
  return c;
}

std::shared_ptr<PositionEmbedding> PositionEmbedding::from_config(const nlohmann::json& c) {
  const std::string who = "PositionEmbedding config";
  NABLA_CHECK(c.contains("sequence_length") && c["sequence_length"].is_number_integer(), who,
              ": \"sequence_length\" (an integer) is required");
  // keras_hub's hierarchical_alpha only matters for inputs longer than sequence_length, which nabla refuses.
  auto layer = std::make_shared<PositionEmbedding>(
      saving::get_int(c, "sequence_length", 0, who),
      c.contains("initializer") ? deserialize_initializer(c["initializer"]) : Initializer("glorot_uniform"));
  layer->load_base_config(c);
  return layer;
}

SinePositionEncoding::SinePositionEncoding(double max_wavelength)
    : Layer("SinePositionEncoding"), max_wavelength_(max_wavelength) {
  NABLA_CHECK(max_wavelength > 0, "SinePositionEncoding: max_wavelength must be positive, got ", max_wavelength);
}

Shape SinePositionEncoding::compute_output_shape(const std::vector<Shape>& in) const {
  check_rank(in, "layer '" + name() + "' (SinePositionEncoding)");
  return in[0];
}

Tensor SinePositionEncoding::call(const Tensor& x, bool) {
  check_rank({x.shape()}, "layer '" + name() + "' (SinePositionEncoding)");
  const int64_t t = x.size(x.dim() - 2), f = x.shape().back();
  Tensor pe = make_tensor(Shape{t, f}, f32);
  float* p = pe.data<float>();
  // keras_hub computes in the layer's dtype (float32): timescale = (1 / max_wavelength)^(2 (i // 2) / f).
  const float min_freq = float(1.0 / max_wavelength_);
  for (int64_t i = 0; i < f; ++i) {
    const float timescale = std::pow(min_freq, float(2 * (i / 2)) / float(f));
    for (int64_t pos = 0; pos < t; ++pos) {
      const float angle = float(pos) * timescale;
      p[pos * f + i] = i % 2 ? std::cos(angle) : std::sin(angle);
    }
  }
  return broadcast_like(pe.to(x.dtype()), x);
}

nlohmann::json SinePositionEncoding::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["max_wavelength"] = max_wavelength_;
  return c;
}

std::shared_ptr<SinePositionEncoding> SinePositionEncoding::from_config(const nlohmann::json& c) {
  auto layer = std::make_shared<SinePositionEncoding>(
      saving::get_double(c, "max_wavelength", 10000, "SinePositionEncoding config"));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::PositionEmbedding> PositionEmbedding(int64_t sequence_length, nn::Initializer initializer) {
  return std::make_shared<nn::PositionEmbedding>(sequence_length, std::move(initializer));
}
std::shared_ptr<nn::SinePositionEncoding> SinePositionEncoding(double max_wavelength) {
  return std::make_shared<nn::SinePositionEncoding>(max_wavelength);
}
}  // namespace nabla::layers
