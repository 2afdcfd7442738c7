// LayerNormalization, MultiHeadAttention and Attention against Keras 3: make_attention_fixtures.py built each
// layer in Keras, recorded its config, weights, inputs and results (attention_fixtures.json); nabla rebuilds the
// layer from the config (the path a .keras file takes), sets the same weights and must compute the same numbers.
#include "keras/keras_fixtures.h"

namespace nabla::keras_check {
namespace {

const json& attention_case(const std::string& name) {
  static const json all = [] {
    std::string path = std::string(NABLA_TESTS_DIR) + "/keras/attention_fixtures.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("fixture file " + path + " is missing (make_attention_fixtures.py writes it)");
    return json::parse(in);
  }();
  return all.at("cases").at(name);
}

void set_weights(nn::Layer& layer, const json& ws) {
  NoGradGuard ng;
  for (auto it = ws.begin(); it != ws.end(); ++it) {
    Tensor w = layer.weight(it.key());
    if (it->is_number())
      w.fill_(it->get<double>());
    else
      w.copy_(tensor(*it, "", f32));
  }
}

TEST(KerasLayerNormalization, FromKerasConfigMatchesKeras) {
  for (const char* name : {"layer_norm", "layer_norm_two_axes"}) {
    SCOPED_TRACE(name);
    const json& c = attention_case(name);
    auto ln = nn::LayerNormalization::from_config(c.at("config"));
    Tensor x = tensor(c, "x", f32);
    ln->ensure_built({Shape{-1, x.size(1), x.size(2)}});
    ln->gamma().detach().copy_(tensor(c, "gamma", f32));
    ln->beta().detach().copy_(tensor(c, "beta", f32));
    expect_keras_close((*ln)(x), tensor(c, "expected"), name);
    // The built layer writes Keras's config (axis as the list Keras resolves at build).
    json mine = ln->get_config();
    for (auto it = c.at("config").begin(); it != c.at("config").end(); ++it)
      EXPECT_EQ(mine.value(it.key(), json()), *it) << "key " << it.key();
  }
}

TEST(KerasMultiHeadAttention, CrossAttentionWithMaskAndScoresMatchesKeras) {
  const json& c = attention_case("mha_cross_attention_mask");
  auto mha = nn::MultiHeadAttention::from_config(c.at("config"));
  Tensor q = tensor(c, "query", f32), v = tensor(c, "value", f32), k = tensor(c, "key", f32);
  mha->ensure_built({Shape{-1, 3, 8}, Shape{-1, 5, 6}, Shape{-1, 5, 4}});
  set_weights(*mha, c.at("weights"));
  auto [y, s] = mha->call_with_scores(q, v, k, {.attention_mask = tensor(c, "attention_mask", f32)});
  expect_keras_close(y, tensor(c, "expected"), "output");
  expect_keras_close(s, tensor(c, "scores"), "attention scores (a fully masked row: zeros)");
  json mine = mha->get_config();
  for (auto it = c.at("config").begin(); it != c.at("config").end(); ++it)
    EXPECT_EQ(mine.value(it.key(), json()), *it) << "key " << it.key();
}

TEST(KerasMultiHeadAttention, CausalSelfAttentionMatchesKeras) {
  const json& c = attention_case("mha_self_causal");
  auto mha = nn::MultiHeadAttention::from_config(c.at("config"));
  Tensor x = tensor(c, "x", f32);
  mha->ensure_built({Shape{-1, 4, 6}, Shape{-1, 4, 6}});
  set_weights(*mha, c.at("weights"));
  expect_keras_close(mha->call(x, x, Tensor(), {.use_causal_mask = true}), tensor(c, "expected"), "output");
}

TEST(KerasAttention, DotAndConcatScoresWithMasksMatchKeras) {
  for (const char* name : {"attention_dot_scale", "attention_concat_causal"}) {
    SCOPED_TRACE(name);
    const json& c = attention_case(name);
    auto att = nn::Attention::from_config(c.at("config"));
    Tensor q = tensor(c, "query", f32), v = tensor(c, "value", f32);
    att->ensure_built({Shape{-1, 3, 4}, Shape{-1, 5, 4}});
    set_weights(*att, c.at("weights"));
    auto [y, s] = att->call_with_scores({q, v}, {tensor(c, "query_mask", u8), tensor(c, "value_mask", u8)},
                                        c.at("causal").get<bool>());
    expect_keras_close(y, tensor(c, "expected"), "output");
    expect_keras_close(s, tensor(c, "scores"), "attention scores");
    EXPECT_EQ(att->get_config(), c.at("config"));
  }
}

// A .keras file Keras saved: Embedding(mask_zero) -> MultiHeadAttention(use_causal_mask=True, from the node's
// kwargs) -> Add -> LayerNormalization -> Dense. The unpadded steps must match Keras's predictions.
TEST(KerasMultiHeadAttention, KerasSavedBlockLoadsAndPredicts) {
  const json& c = attention_case("block_functional");
  auto m = load_model(std::string(NABLA_TESTS_DIR) + "/keras/attention_block_functional.keras");
  Tensor y = m->predict(tensor(c, "x", i64));
  Tensor want = tensor(c, "expected");
  Tensor valid = tensor(c, "valid").reshape(Shape{want.size(0), want.size(1), 1});
  expect_keras_close(y.to(f64) * valid, want * valid, "predictions at unpadded steps");
  // And back: nabla writes the node's use_causal_mask and the positional (query, value) arguments.
  const std::string path = testing::temp_dir() + "/block.keras";
  save_model(*m, path);
  auto again = load_model(path);
  testing::expect_close(again->predict(tensor(c, "x", i64)), y, 0, 0);
}

}  // namespace
}  // namespace nabla::keras_check
