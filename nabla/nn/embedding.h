#pragma once
// Embedding: maps integer ids [batch, ...] to rows of a trainable [input_dim, output_dim] table ->
// [batch, ..., output_dim]. Keras's default initializer: uniform in [-0.05, 0.05].
#include "nabla/nn/layer.h"

namespace nabla::nn {

struct EmbeddingOptions {
  Initializer embeddings_initializer = "random_uniform";
  Regularizer embeddings_regularizer;  // none by default
  std::vector<int64_t> input_shape;  // e.g. {sequence_length}; only for the first layer of a Sequential
  // Id 0 is padding: the output's mask is ids != 0 (Keras's mask_zero), which downstream layers, the loss and the
  // metrics honour. Id 0 still has an embedding row (input_dim counts it), as in Keras.
  bool mask_zero = false;
};

class Embedding : public Layer {
 public:
  Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions opts = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Embedding> from_config(const nlohmann::json& config);
  Tensor embeddings() const { return weight("embeddings"); }

 private:
  int64_t input_dim_, output_dim_;
  EmbeddingOptions opts_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Embedding> Embedding(int64_t input_dim, int64_t output_dim, nn::EmbeddingOptions opts = {});
}
