#pragma once
// MultiHeadAttention (Keras 3's signature, arguments and weight layout): query/key/value projections are
// EinsumDense kernels [features, num_heads, key_dim] (value: value_dim) with biases [num_heads, dim], the output
// projection a kernel [num_heads, value_dim, output_dim] with a bias [output_dim]. Scores are
// softmax(q k^T / sqrt(key_dim)) with the scaling and the mask fused into one op (ops/attention.h).
//
// Called directly:   auto y = mha->call(query, value);                      // key = value
//                    auto [y, scores] = mha->call_with_scores(query, value, {}, {.use_causal_mask = true});
// In a functional graph the inputs are [query, value] or [query, value, key], and Keras's keyword arguments
// ride on the node:  apply_layer(mha, {x, x}, {{"use_causal_mask", true}}).
// Masks follow Keras: the query's and value's (and key's) masks (Embedding(mask_zero=True)) give the attention
// mask [B, Tq, Tv] = query_mask[:, :, None] & value_mask[:, None, :], ANDed with the causal mask and any
// attention_mask; the output carries the query's mask. A query row with no key to attend to gets zero weights
// (Keras's Softmax(mask); Keras's fused dot_product_attention path gives uniform weights there instead: those
// rows are masked downstream either way).
// attention_axes: the default (every axis between batch and features) on inputs of any rank; flattened to one
// sequence axis, which is what attending over all of them means.
#include <optional>

#include "nabla/nn/layer.h"

namespace nabla::nn {

struct MultiHeadAttentionOptions {
  std::optional<int64_t> value_dim;     // default: key_dim
  double dropout = 0.0;                 // on the attention weights, in training
  bool use_bias = true;
  std::optional<int64_t> output_shape;  // default: the query's feature size
  std::vector<int64_t> attention_axes;  // empty: all axes between batch and features (Keras's None)
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer;
  Regularizer bias_regularizer;
  std::optional<uint64_t> seed;         // for the dropout
};

// Keras's call arguments beyond the tensors.
struct AttentionCallArgs {
  Tensor attention_mask;      // [B, Tq, Tv] (or broadcastable), nonzero = may attend
  bool use_causal_mask = false;
  bool training = false;
  Tensor query_mask, value_mask, key_mask;  // [B, Tq] / [B, Tv]: what Keras takes from the inputs' masks
};

class MultiHeadAttention : public Layer {
 public:
  MultiHeadAttention(int64_t num_heads, int64_t key_dim, MultiHeadAttentionOptions opts = {});

  // Keras's call(query, value, key=None, ...). key undefined: value.
  Tensor call(const Tensor& query, const Tensor& value, const Tensor& key = Tensor(),
              const AttentionCallArgs& args = {});
  // return_attention_scores=True: also the weights [B, num_heads, Tq, Tv] (before dropout).
  std::pair<Tensor, Tensor> call_with_scores(const Tensor& query, const Tensor& value, const Tensor& key = Tensor(),
                                             const AttentionCallArgs& args = {});

  // The Layer interface: inputs [query, value] or [query, value, key].
  using Layer::call;
  Tensor call(const std::vector<Tensor>& xs, bool training) override;
  Tensor call_masked_inputs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) override;
  Tensor call_with_kwargs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                          const nlohmann::json& kwargs, bool training) override;
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  bool positional_inputs() const override { return true; }
  nlohmann::json build_config() const override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<MultiHeadAttention> from_config(const nlohmann::json& config);
  std::vector<Generator*> seed_generators() override {
    return gen_ ? std::vector<Generator*>{&*gen_} : std::vector<Generator*>{};
  }

  int64_t num_heads() const { return num_heads_; }
  int64_t key_dim() const { return key_dim_; }
  int64_t value_dim() const { return value_dim_; }

 private:
  std::pair<Tensor, Tensor> attend(const Tensor& query, const Tensor& value, const Tensor& key,
                                   const AttentionCallArgs& args, bool want_scores);
  int64_t num_heads_, key_dim_, value_dim_;
  MultiHeadAttentionOptions opts_;
  std::optional<Generator> gen_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::MultiHeadAttention> MultiHeadAttention(int64_t num_heads, int64_t key_dim,
                                                           nn::MultiHeadAttentionOptions opts = {});
}
