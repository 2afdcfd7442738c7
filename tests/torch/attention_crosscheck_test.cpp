// Cross-checks of LayerNormalization and MultiHeadAttention against PyTorch (F.layer_norm, nn.MultiheadAttention)
// on identical weights: forward values and the gradients of inputs and weights, float32 within 1e-5 relative.
// Fixtures: attention_cases.py (through make_fixtures.py), weights already in Keras's layout.
#include "torch_fixtures.h"

namespace nabla::torch_check {
namespace {

Tensor leaf(const json& c, const std::string& key) { return tensor(c, key, f32).requires_grad_(); }

TEST(LayerNormalization, MatchesTorchLayerNorm) {
  const json& c = load_case("layer_norm");
  auto ln = layers::LayerNormalization();  // Keras's epsilon 1e-3, which the fixture passes to torch
  ln->ensure_built({Shape{-1, 6, 10}});
  ln->gamma().detach().copy_(tensor(c, "gamma", f32));
  ln->beta().detach().copy_(tensor(c, "beta", f32));
  Tensor x = leaf(c, "x");
  Tensor y = (*ln)(x, true);
  y.backward(tensor(c, "gy", f32));
  expect_matches(y, c, "y");
  expect_matches(x.grad(), c, "dx");
  expect_matches(ln->gamma().grad(), c, "dgamma");
  expect_matches(ln->beta().grad(), c, "dbeta");
}

TEST(LayerNormalization, TwoTrailingAxesMatchTorch) {
  const json& c = load_case("layer_norm");
  auto ln = layers::LayerNormalization({.axis = {-2, -1}});
  ln->ensure_built({Shape{-1, 6, 10}});
  ASSERT_EQ(ln->gamma().shape(), (Shape{6, 10}));
  ln->gamma().detach().copy_(tensor(c, "gamma2", f32));
  ln->beta().detach().copy_(tensor(c, "beta2", f32));
  Tensor x = leaf(c, "x");
  Tensor y = (*ln)(x, true);
  y.backward(tensor(c, "gy", f32));
  expect_matches(y, c, "y2");
  expect_matches(x.grad(), c, "dx2");
  expect_matches(ln->gamma().grad(), c, "dgamma2");
  expect_matches(ln->beta().grad(), c, "dbeta2");
}

TEST(LayerNormalization, Float64OpMatchesTorch) {
  const json& c = load_case("layer_norm");
  Tensor x = tensor(c, "x").requires_grad_(), g = tensor(c, "gamma").requires_grad_(),
         b = tensor(c, "beta").requires_grad_();
  Tensor y = layer_norm(x, g, b, 10, 1e-3);
  y.backward(tensor(c, "gy"));
  expect_matches(y, c, "y");
  expect_matches(x.grad(), c, "dx");
  expect_matches(g.grad(), c, "dgamma");
  expect_matches(b.grad(), c, "dbeta");
}

// A MultiHeadAttention holding the fixture's weights (Keras layout).
std::shared_ptr<nn::MultiHeadAttention> mha_from(const json& c, int64_t heads, const std::vector<Shape>& shapes) {
  const int64_t e = tensor(c, "query_kernel").size(0);
  auto mha = layers::MultiHeadAttention(heads, e / heads);
  mha->ensure_built(shapes);
  for (const char* w : {"query", "key", "value", "output"})
    for (const char* part : {"kernel", "bias"}) {
      std::string name = std::string(w) + "_dense/" + part;
      mha->weight(name).detach().copy_(tensor(c, std::string(w) + "_" + part, f32));
    }
  return mha;
}

void expect_weight_grads(const nn::MultiHeadAttention& mha, const json& c) {
  for (const char* w : {"query", "key", "value", "output"})
    for (const char* part : {"kernel", "bias"}) {
      Tensor g = mha.weight(std::string(w) + "_dense/" + part).grad();
      if (std::string(w) == "key" && std::string(part) == "bias") {
        // The key bias adds the same amount to every score of a row, which softmax ignores: its gradient is 0
        // (torch: ~1e-17). float32 leaves rounding noise, bounded here against the kernel gradient's scale.
        ASSERT_TRUE(g.defined());
        EXPECT_LT(max(abs(g)).item(), 1e-5 * max(abs(tensor(c, "dkey_kernel"))).item());
        continue;
      }
      expect_matches(g, c, std::string("d") + w + "_" + part);
    }
}

TEST(MultiHeadAttention, SelfAttentionWithCausalMaskMatchesTorch) {
  const json& c = load_case("mha_self_causal");
  auto mha = mha_from(c, 2, {Shape{-1, 5, 8}, Shape{-1, 5, 8}});
  Tensor x = leaf(c, "query");
  auto [y, scores] = mha->call_with_scores(x, x, Tensor(), {.use_causal_mask = true, .training = true});
  y.backward(tensor(c, "gy", f32));
  expect_matches(y, c, "y");
  expect_matches(scores, c, "scores");
  expect_matches(x.grad(), c, "dx");
  expect_weight_grads(*mha, c);
}

TEST(MultiHeadAttention, CrossAttentionWithPaddingMaskMatchesTorch) {
  const json& c = load_case("mha_cross_padding");
  auto mha = mha_from(c, 3, {Shape{-1, 3, 12}, Shape{-1, 6, 12}, Shape{-1, 6, 12}});
  Tensor q = leaf(c, "query"), k = leaf(c, "key"), v = leaf(c, "value");
  auto [y, scores] = mha->call_with_scores(q, v, k, {.training = true, .value_mask = tensor(c, "value_mask", f32)});
  y.backward(tensor(c, "gy", f32));
  expect_matches(y, c, "y");
  expect_matches(scores, c, "scores");
  expect_matches(q.grad(), c, "dquery");
  expect_matches(k.grad(), c, "dkey");
  expect_matches(v.grad(), c, "dvalue");
  expect_weight_grads(*mha, c);
}

}  // namespace
}  // namespace nabla::torch_check
