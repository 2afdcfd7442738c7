#include "nabla/nn/embedding.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/masking.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/embedding.h"

namespace nabla::nn {

Embedding::Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions opts)
    : Layer("Embedding"), input_dim_(input_dim), output_dim_(output_dim), opts_(std::move(opts)) {
  NABLA_CHECK(input_dim > 0 && output_dim > 0, "Embedding: input_dim and output_dim must be positive, got ",
              input_dim, " and ", output_dim);
  declared_input_shape_ = opts_.input_shape;
  supports_masking_ = true;  // Keras: a layer overriding compute_mask supports masking
}

Tensor Embedding::compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>&) const {
  return opts_.mask_zero ? not_equal_mask(inputs.at(0), 0.0) : Tensor();
}

void Embedding::build(const std::vector<Shape>&) {
  add_weight("embeddings", Shape{input_dim_, output_dim_}, opts_.embeddings_initializer, true, f32,
             opts_.embeddings_regularizer);
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

nlohmann::json Embedding::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["input_dim"] = input_dim_;
  c["output_dim"] = output_dim_;
  c["embeddings_initializer"] = serialize_initializer(opts_.embeddings_initializer);
  c["embeddings_regularizer"] = serialize_regularizer(opts_.embeddings_regularizer);
  c["activity_regularizer"] = nullptr;
  c["embeddings_constraint"] = nullptr;
  c["mask_zero"] = opts_.mask_zero;
  c["quantization_config"] = nullptr;
  return c;
}

std::shared_ptr<Embedding> Embedding::from_config(const nlohmann::json& c) {
  const std::string who = "Embedding config";
  for (const char* k : {"activity_regularizer", "embeddings_constraint", "quantization_config"})
    saving::require_null(c, k, who);
  NABLA_CHECK(c.contains("input_dim") && c.contains("output_dim"), who, ": \"input_dim\" and \"output_dim\" are required");
  EmbeddingOptions o;
  o.mask_zero = saving::get_bool(c, "mask_zero", false, who);
  if (c.contains("embeddings_initializer"))
    o.embeddings_initializer = deserialize_initializer(c["embeddings_initializer"]);
  if (c.contains("embeddings_regularizer"))
    o.embeddings_regularizer = deserialize_regularizer(c["embeddings_regularizer"]);
  auto layer = std::make_shared<Embedding>(saving::get_int(c, "input_dim", 0, who),
                                           saving::get_int(c, "output_dim", 0, who), std::move(o));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Embedding> Embedding(int64_t input_dim, int64_t output_dim, nn::EmbeddingOptions opts) {
  return std::make_shared<nn::Embedding>(input_dim, output_dim, std::move(opts));
}
}  // namespace nabla::layers
