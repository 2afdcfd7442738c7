#include "nabla/nn/embedding.h"

#include "nabla/ops/embedding.h"

namespace nabla::nn {

Embedding::Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions opts)
    : Layer("Embedding"), input_dim_(input_dim), output_dim_(output_dim), opts_(std::move(opts)) {
  NABLA_CHECK(input_dim > 0 && output_dim > 0, "Embedding: input_dim and output_dim must be positive, got ",
              input_dim, " and ", output_dim);
  declared_input_shape_ = opts_.input_shape;
}

void Embedding::build(const std::vector<Shape>&) {
  add_weight("embeddings", Shape{input_dim_, output_dim_}, initializer(opts_.embeddings_initializer));
}

Shape Embedding::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() >= 1, "layer '", name(),
                    "' (Embedding) expects an input with a batch axis, got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  Shape s = in[0];
  s.push_back(output_dim_);
  return s;
}

Tensor Embedding::call(const Tensor& x, bool) {
  try {
    return embedding(embeddings(), x);
  } catch (const ValueError& e) {
    throw ValueError(detail::concat("layer '", name(), "' (Embedding): ", e.what()));
  }
}

std::string Embedding::config_str() const {
  return detail::concat("input_dim=", input_dim_, ", output_dim=", output_dim_);
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Embedding> Embedding(int64_t input_dim, int64_t output_dim, nn::EmbeddingOptions opts) {
  return std::make_shared<nn::Embedding>(input_dim, output_dim, std::move(opts));
}
}  // namespace nabla::layers
