#pragma once
// Attention: Keras's dot-product (Luong-style) attention layer over inputs [query, value] or [query, value, key]
// ([batch, Tq, dim], [batch, Tv, dim]); key defaults to value.
//   score_mode "dot":    scores = query key^T (times a trainable scalar `scale` when use_scale);
//   score_mode "concat": scores = concat_score_weight * sum(tanh(scale * (query_i + key_j)))  (Bahdanau-style).
// weights = softmax(scores) over the keys with the value's mask (and the causal mask), output = weights value,
// zeroed at masked query steps; the output carries the query's mask. Keras subtracts 1e9 from masked scores and
// asks for at least one unmasked key per row; the fused op (ops/attention.h) gives such a row zero weights.
#include <optional>

#include "nabla/nn/layer.h"

namespace nabla::nn {

struct AttentionOptions {
  bool use_scale = false;
  std::string score_mode = "dot";  // "dot" or "concat"
  double dropout = 0.0;            // on the attention weights, in training
  std::optional<uint64_t> seed;
};

class Attention : public Layer {
 public:
  explicit Attention(AttentionOptions opts = {});
  using Layer::call;
  Tensor call(const std::vector<Tensor>& xs, bool training) override;
  Tensor call_masked_inputs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) override;
  Tensor call_with_kwargs(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                          const nlohmann::json& kwargs, bool training) override;
  // Keras's call with return_attention_scores=True: the output and the weights [batch, Tq, Tv].
  // masks: [query_mask, value_mask] (either undefined).
  std::pair<Tensor, Tensor> call_with_scores(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks = {},
                                             bool use_causal_mask = false, bool training = false);
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Attention> from_config(const nlohmann::json& config);
  std::vector<Generator*> seed_generators() override {
    return gen_ ? std::vector<Generator*>{&*gen_} : std::vector<Generator*>{};
  }

 private:
  std::pair<Tensor, Tensor> attend(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                   bool use_causal_mask, bool training);
  AttentionOptions opts_;
  std::optional<Generator> gen_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Attention> Attention(nn::AttentionOptions opts = {});
}
