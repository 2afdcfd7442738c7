#pragma once
// Embedding: maps integer ids [batch, ...] to rows of a trainable [input_dim, output_dim] table ->
// [batch, ..., output_dim]. Keras's default initializer: uniform in [-0.05, 0.05].
#include "nabla/nn/layer.h"

namespace nabla::nn {

struct EmbeddingOptions {
  std::string embeddings_initializer = "random_uniform";
  std::vector<int64_t> input_shape;  // e.g. {sequence_length}; only for the first layer of a Sequential
};

class Embedding : public Layer {
 public:
  Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions opts = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  std::string config_str() const override;
  const Tensor& embeddings() const { return weights()[0].value; }

 private:
  int64_t input_dim_, output_dim_;
  EmbeddingOptions opts_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Embedding> Embedding(int64_t input_dim, int64_t output_dim, nn::EmbeddingOptions opts = {});
}
