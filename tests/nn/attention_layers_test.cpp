// LayerNormalization, MultiHeadAttention, Attention and the positional embeddings as layers: masks, functional
// graphs (several inputs, keyword arguments), configs and .keras round trips. Numbers against PyTorch and Keras
// are in tests/torch/attention_crosscheck_test.cpp and tests/keras/attention_test.cpp.
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace nabla {
namespace {

using testing::expect_close;
using testing::expect_error_contains;

Tensor ids(const std::vector<int64_t>& v, int64_t rows) {
  return Tensor::from_vector(v, Shape{rows, int64_t(v.size()) / rows});
}

TEST(LayerNormalizationLayer, ConfigRoundTripAndErrors) {
  auto ln = layers::LayerNormalization({.epsilon = 1e-5, .center = false});
  ln->ensure_built({Shape{-1, 3, 4}});
  EXPECT_FALSE(ln->beta().defined());
  nlohmann::json j = nn::serialize_layer(*ln);
  EXPECT_EQ(j["class_name"], "LayerNormalization");
  EXPECT_EQ(j["config"]["axis"], nlohmann::json::array({-1}));  // a built layer writes the list, as Keras
  auto back = nn::deserialize_layer(j);
  EXPECT_EQ(back->get_config(), ln->get_config());
  EXPECT_EQ(back->weights().size(), 1u);
  auto bad = layers::LayerNormalization({.axis = {1}});
  expect_error_contains([&] { bad->ensure_built({Shape{-1, 3, 4}}); }, {"trailing axes", "(None, 3, 4)"});
}

TEST(LayerNormalizationLayer, PassesTheMaskOn) {
  auto in = Input({-1});
  auto e = apply_layer(layers::Embedding(5, 4, {.mask_zero = true}), in);
  auto y = apply_layer(layers::LayerNormalization(), e);
  Functional m(in, y);
  std::vector<Tensor> masks;
  m.call_with_masks({ids({1, 2, 0}, 1)}, false, masks);
  ASSERT_TRUE(masks[0].defined());
  EXPECT_EQ(masks[0].to(i64).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 0}));
}

TEST(MultiHeadAttentionLayer, ShapesWeightsAndKerasLayout) {
  auto mha = layers::MultiHeadAttention(2, 3, {.value_dim = 5, .output_shape = 7});
  Tensor q = Tensor::uniform({2, 4, 6}, -1, 1), v = Tensor::uniform({2, 3, 8}, -1, 1);
  auto [y, s] = mha->call_with_scores(q, v);
  EXPECT_EQ(y.shape(), (Shape{2, 4, 7}));
  EXPECT_EQ(s.shape(), (Shape{2, 2, 4, 3}));
  EXPECT_EQ(mha->weight("query_dense/kernel").shape(), (Shape{6, 2, 3}));
  EXPECT_EQ(mha->weight("key_dense/kernel").shape(), (Shape{8, 2, 3}));
  EXPECT_EQ(mha->weight("value_dense/kernel").shape(), (Shape{8, 2, 5}));
  EXPECT_EQ(mha->weight("output_dense/kernel").shape(), (Shape{2, 5, 7}));
  EXPECT_EQ(mha->weight("output_dense/bias").shape(), (Shape{7}));
  // Each row of weights sums to 1.
  expect_close(sum(s, {-1}), Tensor::ones({2, 2, 4}), 1e-5, 1e-5);
  // Glorot with EinsumDense's fans (features in, heads * dim out): |w| <= sqrt(6 / (6 + 6)).
  EXPECT_LE(max(abs(mha->weight("query_dense/kernel"))).item(), std::sqrt(6.0 / 12) + 1e-6);
  expect_error_contains([&] { mha->call(Tensor::uniform({2, 4, 5}, -1, 1), v); }, {"built for query features 6"});
}

TEST(MultiHeadAttentionLayer, DefaultAttentionAxesOnRank4AttendOverBoth) {
  auto mha = layers::MultiHeadAttention(2, 2);
  Tensor x = Tensor::uniform({2, 3, 2, 4}, -1, 1);
  Tensor y = mha->call(x, x);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 2, 4}));
  Tensor flat = x.reshape(Shape{2, 6, 4});
  expect_close(y.reshape(Shape{2, 6, 4}), mha->call(flat, flat), 1e-6, 1e-6);
}

TEST(MultiHeadAttentionLayer, CausalMaskMakesEarlyStepsIgnoreLaterOnes) {
  auto mha = layers::MultiHeadAttention(2, 4);
  Tensor x = Tensor::uniform({1, 5, 6}, -1, 1);
  Tensor y = mha->call(x, x, Tensor(), {.use_causal_mask = true});
  Tensor x2 = x.clone();
  x2.data<float>()[4 * 6] += 1.0f;  // change only the last step
  Tensor y2 = mha->call(x2, x2, Tensor(), {.use_causal_mask = true});
  expect_close(slice(y2, 1, 0, 4), slice(y, 1, 0, 4), 0, 0);
  auto [yy, s] = mha->call_with_scores(x, x, Tensor(), {.use_causal_mask = true});
  EXPECT_EQ(s.data<float>()[1], 0.0f);  // head 0, query 0 never sees key 1
}

// Embedding(mask_zero) -> MultiHeadAttention: padded steps change nothing at the real steps (query and value
// masks), and the output carries the query's mask.
TEST(MultiHeadAttentionLayer, PaddingChangesNothingAtUnmaskedSteps) {
  auto in = Input({-1});
  auto e = apply_layer(layers::Embedding(9, 8, {.mask_zero = true}), in);
  auto a = apply_layer(layers::MultiHeadAttention(2, 4), {e, e});
  auto y = apply_layer(layers::LayerNormalization(), apply_layer(layers::Add(), {e, a}));
  Functional m(in, y);
  std::vector<Tensor> masks;
  Tensor padded = m.call_with_masks({ids({3, 1, 4, 0, 0, 5, 2, 6, 7, 8}, 2)}, false, masks)[0];
  ASSERT_TRUE(masks[0].defined());
  EXPECT_EQ(masks[0].to(i64).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1}));
  Tensor trimmed = m.predict(ids({3, 1, 4}, 1));
  expect_close(slice(select(padded, 0, 0), 0, 0, 3), select(trimmed, 0, 0), 1e-5, 1e-5);
}

// The functional graph keeps Keras's call arguments: a causal self-attention block saved as .keras and loaded
// back predicts the same, and its config writes Keras's node ({"args": [query, value], "kwargs": {...}}).
TEST(MultiHeadAttentionLayer, FunctionalKerasFileRoundTrip) {
  auto in = Input({6});
  auto e = apply_layer(layers::Embedding(10, 8, {.mask_zero = true}), in);
  auto p = apply_layer(layers::Add(), {e, apply_layer(layers::PositionEmbedding(6), e)});
  auto s = apply_layer(layers::Add(), {p, apply_layer(layers::SinePositionEncoding(), p)});
  auto a = apply_layer(layers::MultiHeadAttention(2, 4, {.dropout = 0.1}), {s, s}, {{"use_causal_mask", true}});
  auto h = apply_layer(layers::LayerNormalization(), apply_layer(layers::Add(), {s, a}));
  auto att = apply_layer(layers::Attention({.use_scale = true}), {h, s});
  Functional m(in, apply_layer(layers::Dense(3), att));
  Tensor x = ids({1, 2, 3, 4, 5, 0, 9, 8, 7, 0, 0, 0}, 2);
  Tensor want = m.predict(x);

  nlohmann::json cfg = m.get_config();
  bool seen = false;
  for (const auto& l : cfg["layers"])
    if (l["class_name"] == "MultiHeadAttention") {
      seen = true;
      const auto& node = l["inbound_nodes"][0];
      EXPECT_EQ(node["args"].size(), 2u);  // query and value as two arguments, not one list
      EXPECT_EQ(node["kwargs"], (nlohmann::json{{"use_causal_mask", true}}));
      EXPECT_TRUE(l["build_config"].contains("shapes_dict"));
    } else if (l["class_name"] == "PositionEmbedding") {
      EXPECT_EQ(l["registered_name"], "keras_hub>PositionEmbedding");
    }
  EXPECT_TRUE(seen);

  const std::string path = testing::temp_dir() + "/attention_block.keras";
  save_model(m, path);
  auto back = load_model(path);
  expect_close(back->predict(x), want, 0, 0);
  EXPECT_EQ(serialize_model(*back), serialize_model(m));
}

TEST(AttentionLayer, DotScoresAreSoftmaxOfProducts) {
  auto att = layers::Attention();
  Tensor q = Tensor::uniform({2, 3, 4}, -1, 1), v = Tensor::uniform({2, 5, 4}, -1, 1);
  auto [y, s] = att->call_with_scores({q, v});
  expect_close(s, softmax(batch_matmul(q, v, false, true)), 1e-6, 1e-6);
  expect_close(y, batch_matmul(s, v), 1e-6, 1e-6);
  EXPECT_EQ(att->weights().size(), 0u);
  auto scaled = layers::Attention({.use_scale = true, .score_mode = "concat"});
  (*scaled)(std::vector<Tensor>{q, v});
  EXPECT_TRUE(scaled->has_weight("scale") && scaled->has_weight("concat_score_weight"));
  auto back = nn::deserialize_layer(nn::serialize_layer(*scaled));
  EXPECT_EQ(back->get_config(), scaled->get_config());
  expect_error_contains([] { layers::Attention({.score_mode = "add"}); }, {"score_mode", "'add'"});
}

TEST(PositionEncodings, FollowKerasHub) {
  Tensor x = Tensor::zeros({2, 3, 4});
  Tensor pe = (*layers::SinePositionEncoding())(x);
  ASSERT_EQ(pe.shape(), (Shape{2, 3, 4}));
  // Step 2: features 0/1 use timescale 1, features 2/3 use 10000^(-2/4) = 0.01.
  std::vector<float> row(pe.data<float>() + 8, pe.data<float>() + 12);
  EXPECT_NEAR(row[0], std::sin(2.0), 1e-6);
  EXPECT_NEAR(row[1], std::cos(2.0), 1e-6);
  EXPECT_NEAR(row[2], std::sin(0.02), 1e-6);
  EXPECT_NEAR(row[3], std::cos(0.02), 1e-6);
  auto pos = layers::PositionEmbedding(5);
  Tensor e = (*pos)(x);
  expect_close(select(e, 0, 1), slice(pos->weight("embeddings"), 0, 0, 3), 0, 0);
  expect_error_contains([&] { (*pos)(Tensor::zeros({1, 6, 4})); }, {"longer than sequence_length 5"});
  EXPECT_EQ(pos->get_config()["sequence_length"], 5);
}

}  // namespace
}  // namespace nabla
