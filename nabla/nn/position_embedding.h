#pragma once
// Positional embeddings, following keras_hub (keras_hub.layers.PositionEmbedding and SinePositionEncoding: the
// same names, configs and formulas; saved with keras_hub's registered names "keras_hub>PositionEmbedding" and
// "keras_hub>SinePositionEncoding"). Both take the embedded tokens [batch, T, features] and return the position
// part broadcast to that shape; the model adds it (Add()({x, PositionEmbedding(T)(x)})).
#include "nabla/nn/layer.h"

namespace nabla::nn {

// Learned: a trainable table "embeddings" [sequence_length, features]; steps 0..T-1 are its first T rows
// (T <= sequence_length; keras_hub's newer hierarchical extension beyond sequence_length is not implemented).
class PositionEmbedding : public Layer {
 public:
  explicit PositionEmbedding(int64_t sequence_length, Initializer initializer = "glorot_uniform");
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<PositionEmbedding> from_config(const nlohmann::json& config);
  int64_t sequence_length() const { return sequence_length_; }

 private:
  int64_t sequence_length_;
  Initializer initializer_;
};

// Fixed (Vaswani et al.): for step p and feature i, angle = p * max_wavelength^(-2 floor(i / 2) / features);
// even features sin(angle), odd features cos(angle). No weights.
class SinePositionEncoding : public Layer {
 public:
  explicit SinePositionEncoding(double max_wavelength = 10000);
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<SinePositionEncoding> from_config(const nlohmann::json& config);

 private:
  double max_wavelength_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::PositionEmbedding> PositionEmbedding(int64_t sequence_length,
                                                         nn::Initializer initializer = "glorot_uniform");
std::shared_ptr<nn::SinePositionEncoding> SinePositionEncoding(double max_wavelength = 10000);
}
