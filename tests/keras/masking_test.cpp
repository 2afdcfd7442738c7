// Masking and mask propagation (issue 20) against Keras 3: make_mask_fixtures.py built each model in Keras,
// recorded its config, weights, inputs and results (mask_fixtures.json); nabla rebuilds the model from the config
// (the path a .keras file takes), sets the same weights and must compute the same numbers.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/keras_fixtures.h"
#include "nabla/autograd/grad_mode.h"
#include "nabla/nabla.h"
#include "nabla/nn/advanced_activations.h"
#include "nabla/train/functional.h"
#include "test_util.h"

namespace nabla {
namespace {

using keras_check::expect_keras_close;
using keras_check::tensor;
using nlohmann::json;

const json& mask_case(const std::string& name) {
  static const json all = [] {
    std::string path = std::string(NABLA_TESTS_DIR) + "/keras/mask_fixtures.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("fixture file " + path + " is missing (make_mask_fixtures.py writes it)");
    return json::parse(in);
  }();
  for (const json& c : all.at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("no mask fixture case " + name);
}

// The Keras model of a case, rebuilt from its config, with Keras's weights.
std::shared_ptr<Model> keras_model(const json& c) {
  const json& cfg = c.at("config");
  std::shared_ptr<Model> m;
  if (cfg.contains("input_layers"))
    m = Functional::from_config(cfg);
  else
    m = Sequential::from_config(cfg);
  m->build_if_possible();
  std::vector<Tensor> ws;
  for (const json& w : c.at("weights")) ws.push_back(tensor(w, "", f32));
  m->set_weights(ws);
  return m;
}

TEST(Masking, MaskingDenseGlobalAveragePooling1DMatchesKeras) {
  const json& c = mask_case("masking_dense_gap1d");
  auto m = keras_model(c);
  expect_keras_close(m->predict(tensor(c, "x", f32)), tensor(c, "expected"), "Masking -> Dense -> GAP1D");
}

TEST(Masking, EmbeddingMaskZeroMatchesKeras) {
  const json& c = mask_case("embedding_mask_zero_gap1d_dense");
  auto m = keras_model(c);
  expect_keras_close(m->predict(tensor(c, "x", i64)), tensor(c, "expected"), "Embedding(mask_zero) -> GAP1D -> Dense");
}

TEST(Masking, BatchNormalizationMovingStatisticsSkipMaskedSteps) {
  const json& c = mask_case("batch_normalization_masked");
  auto m = keras_model(c);
  Tensor y = (*m)(tensor(c, "x", f32), /*training=*/true);
  expect_keras_close(y.detach(), tensor(c, "expected"), "training-mode output");
  auto bn = std::dynamic_pointer_cast<nn::BatchNormalization>(m->layers().back());
  ASSERT_NE(bn, nullptr);
  expect_keras_close(bn->moving_mean(), tensor(c, "moving_mean"), "moving_mean");
  expect_keras_close(bn->moving_variance(), tensor(c, "moving_variance"), "moving_variance");
}

// A [N, T, 1] regression under Masking: loss and mean metrics average the unmasked steps (Keras's apply_mask),
// the weighted metric multiplies the mask into the weights, and one SGD step matches Keras's.
TEST(Masking, MaskedLossMetricsAndStepMatchKeras) {
  const json& c = mask_case("masked_regression");
  Tensor x = tensor(c, "x", f32), y = tensor(c, "y", f32), sw = tensor(c, "sample_weight", f32);
  auto m = keras_model(c);
  m->compile(std::make_shared<optim::SGD>(0.1), "mse",
             {"mae", std::make_shared<metrics::MeanSquaredError>("mse_metric")}, {"mae"});
  auto expect_logs = [](const std::vector<std::pair<std::string, double>>& got, const json& want,
                        const std::string& what) {
    std::map<std::string, double> g(got.begin(), got.end());
    for (auto it = want.begin(); it != want.end(); ++it) {
      ASSERT_TRUE(g.count(it.key())) << what << ": nabla has no '" << it.key() << "'";
      EXPECT_NEAR(g[it.key()], it->get<double>(), 2e-6 * (1 + std::abs(it->get<double>()))) << what << " " << it.key();
    }
  };
  expect_logs(m->evaluate(x, y, {.batch_size = 4, .verbose = 0}).values, c.at("evaluate"), "evaluate");
  expect_logs(m->evaluate(x, y, {.batch_size = 4, .verbose = 0, .sample_weight = sw}).values,
              c.at("evaluate_weighted"), "evaluate with per-step weights");
  auto logs = m->train_on_batch(x, y);
  std::vector<std::pair<std::string, double>> got(logs.begin(), logs.end());
  expect_logs(got, c.at("train_on_batch"), "train_on_batch");
  auto after = m->get_weights();
  ASSERT_EQ(after.size(), c.at("weights_after_step").size());
  for (size_t i = 0; i < after.size(); ++i)
    expect_keras_close(after[i], tensor(c.at("weights_after_step")[i], "", f64), "weight " + std::to_string(i));
}

// Padded steps change nothing: one step on sequences padded from 3 to 5 steps gives the same loss and the same
// updated weights as the step on the unpadded sequences (Masking, Dense on [N, T, F], BatchNormalization's
// statistics, GlobalAveragePooling1D and the per-step loss all skip the padding).
TEST(Masking, PaddedStepsChangeNothingInAFitStep) {
  for (bool pooled : {false, true}) {
    SCOPED_TRACE(pooled ? "sequence -> GAP1D -> Dense" : "per-step regression");
    Tensor x3 = Tensor::uniform({4, 3, 2}, 0.1, 1.0, f32, nullptr);
    Tensor x5 = Tensor::zeros({4, 5, 2});
    x5.slice(1, 0, 3).copy_(x3);
    Tensor y = pooled ? Tensor::uniform({4, 1}, -1, 1) : Tensor::uniform({4, 3, 1}, -1, 1);
    Tensor y5 = y;
    if (!pooled) {
      y5 = Tensor::full({4, 5, 1}, 100.0);  // targets of padded steps are garbage: they must not count
      y5.slice(1, 0, 3).copy_(y);
    }
    auto make = [&](int64_t t) {
      std::vector<nn::LayerPtr> ls{layers::Masking(0.0, {t, 2}), layers::Dense(3, "tanh"),
                                   layers::BatchNormalization()};
      if (pooled) ls.push_back(layers::GlobalAveragePooling1D());
      ls.push_back(layers::Dense(1));
      auto m = std::make_shared<Sequential>(ls);
      m->compile(std::make_shared<optim::SGD>(0.1), "mse", {"mae"});
      return m;
    };
    auto a = make(5), b = make(3);
    b->set_weights(a->get_weights());
    auto la = a->train_on_batch(x5, y5), lb = b->train_on_batch(x3, y);
    EXPECT_NEAR(la["loss"], lb["loss"], 1e-5);
    EXPECT_NEAR(la["mae"], lb["mae"], 1e-5);
    auto wa = a->get_weights(), wb = b->get_weights();
    ASSERT_EQ(wa.size(), wb.size());
    for (size_t i = 0; i < wa.size(); ++i) testing::expect_close(wa[i], wb[i], 1e-5, 1e-4);
  }
}

TEST(Masking, MaskPropagationAndDrop) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 0, 0, 3, 0, 0, 0, 5, 5, 5, 5}, Shape{2, 3, 2});
  auto masking = layers::Masking(0.0);
  auto [y, mask] = masking->call_with_mask({x}, {}, false);
  ASSERT_TRUE(mask.defined());
  EXPECT_EQ(mask.shape(), (Shape{2, 3}));
  EXPECT_EQ(mask.to(f64).to_vector<double>(), (std::vector<double>{1, 0, 1, 0, 1, 1}));
  // Dense on [N, T, F] passes the mask on; Flatten (no masking support, as in Keras) drops it.
  auto dense = layers::Dense(2);
  EXPECT_TRUE(dense->call_with_mask({y}, {mask}, false).second.defined());
  auto flat = layers::Flatten();
  EXPECT_FALSE(flat->call_with_mask({y}, {mask}, false).second.defined());
  // GAP1D consumes it; a mask_value other than 0 masks steps equal to it.
  EXPECT_FALSE(layers::GlobalAveragePooling1D()->call_with_mask({y}, {mask}, false).second.defined());
  auto [y5, m5] = layers::Masking(5.0)->call_with_mask({x}, {}, false);
  EXPECT_EQ(m5.to(f64).to_vector<double>(), (std::vector<double>{1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(y5.to(f64).to_vector<double>(), (std::vector<double>{1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}));
  // Add: the AND of its inputs' masks; Concatenate on the last axis: the OR (a missing mask counts as ones).
  Tensor m1 = Tensor::from_vector(std::vector<uint8_t>{1, 0, 1, 1, 0, 0}, Shape{2, 3});
  Tensor m2 = Tensor::from_vector(std::vector<uint8_t>{1, 1, 0, 1, 0, 1}, Shape{2, 3});
  EXPECT_EQ(layers::Add()->call_with_mask({x, x}, {m1, m2}, false).second.to(f64).to_vector<double>(),
            (std::vector<double>{1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(layers::Concatenate()->call_with_mask({x, x}, {m1, m2}, false).second.to(f64).to_vector<double>(),
            (std::vector<double>{1, 1, 1, 1, 0, 1}));
  EXPECT_EQ(layers::Concatenate()->call_with_mask({x, x}, {m1, Tensor()}, false).second.to(f64).to_vector<double>(),
            (std::vector<double>(6, 1.0)));
  // A mask of the wrong shape is refused with both shapes named.
  Tensor seq = y;  // (a lambda may not capture a structured binding before C++20's clang 16)
  testing::expect_error_contains(
      [&] { layers::GlobalAveragePooling1D()->call_with_mask({seq}, {m1.reshape({3, 2})}, false); },
      {"mask", "(3, 2)", "(2, 3, 2)"});
}

// The masked paths are compositions of differentiable ops. Masked pooling's gradient (0 for the masked steps) is
// checked numerically; masked BatchNormalization's is compared with the fused op's (whose gradient is checked
// in tests/ops) by PaddedStepsChangeNothingInAFitStep.
TEST(Masking, MaskedPoolingGradient) {
  Tensor mask = Tensor::from_vector(std::vector<uint8_t>{1, 1, 0, 1, 0, 0}, Shape{2, 3});
  auto gap = layers::GlobalAveragePooling1D();
  testing::expect_gradcheck([&](const std::vector<Tensor>& in) {
    return gap->call_with_mask({in[0]}, {mask}, false).first;
  }, {Shape{2, 3, 4}});
}

TEST(Masking, ConfigsRoundTrip) {
  for (const nn::LayerPtr& l : std::vector<nn::LayerPtr>{
           layers::Masking(-1.5), layers::GlobalAveragePooling1D(true), layers::GlobalMaxPooling1D(),
           layers::Embedding(7, 3, {.mask_zero = true})}) {
    json j = nn::serialize_layer(*l);
    nn::LayerPtr back = nn::deserialize_layer(j);
    EXPECT_EQ(back->type(), l->type());
    EXPECT_EQ(back->get_config(), l->get_config()) << j.dump();
    EXPECT_EQ(back->supports_masking(), l->supports_masking());
  }
  auto e = nn::deserialize_layer(nn::serialize_layer(*layers::Embedding(7, 3, {.mask_zero = true})));
  EXPECT_TRUE(e->get_config().at("mask_zero").get<bool>());
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{0, 2, 3, 0}, Shape{2, 2});
  EXPECT_EQ(e->call_with_mask({ids}, {}, false).second.to(f64).to_vector<double>(), (std::vector<double>{0, 1, 1, 0}));
}

TEST(Masking, LossHonoursThePredictionsMask) {
  Tensor y_true = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, Shape{1, 4, 1});
  Tensor y_pred = Tensor::from_vector(std::vector<float>{2, 2, 5, 0}, Shape{1, 4, 1});
  Tensor mask = Tensor::from_vector(std::vector<uint8_t>{1, 1, 1, 0}, Shape{1, 4});
  // squared errors 1, 0, 4, (16 masked): mean over the 3 valid steps, sum of them, and per step.
  EXPECT_NEAR(losses::MeanSquaredError()(y_true, y_pred, Tensor(), mask).item(), 5.0 / 3, 1e-6);
  EXPECT_NEAR(losses::MeanSquaredError("sum")(y_true, y_pred, Tensor(), mask).item(), 5.0, 1e-6);
  Tensor w = Tensor::from_vector(std::vector<float>{2, 1, 1, 1}, Shape{1, 4});
  EXPECT_NEAR(losses::MeanSquaredError()(y_true, y_pred, w, mask).item(), 6.0 / 3, 1e-6);
}

}  // namespace
}  // namespace nabla

namespace nabla {
namespace {

// .keras files that Keras 3 saved (make_mask_fixtures.py): a functional model with Embedding(mask_zero), whose
// config holds Keras's traced mask operations, and a compiled Sequential with Masking after one SGD step.
TEST(Masking, KerasFilesWithMasksLoad) {
  const std::string dir = std::string(NABLA_TESTS_DIR) + "/keras/";
  {
    const json& c = mask_case("embedding_mask_zero_gap1d_dense");
    auto m = load_model(dir + "mask_embedding_functional.keras");
    expect_keras_close(m->predict(tensor(c, "x", i64)), tensor(c, "expected"), "loaded Embedding(mask_zero) model");
  }
  {
    const json& c = mask_case("masked_regression");
    auto m = load_model(dir + "mask_regression_sequential.keras");
    ASSERT_TRUE(m->compiled());
    auto r = m->evaluate(tensor(c, "x", f32), tensor(c, "y", f32), {.batch_size = 4, .verbose = 0});
    const json& want = c.at("evaluate_after_step");
    EXPECT_NEAR(r["loss"], want.at("loss").get<double>(), 2e-6);
    EXPECT_NEAR(r["mae"], want.at("mae").get<double>(), 2e-6);
  }
}

}  // namespace
}  // namespace nabla
