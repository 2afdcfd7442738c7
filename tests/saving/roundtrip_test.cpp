// Every registered class round-trips: serialize -> deserialize -> serialize gives the same JSON, and layers and
// models rebuilt from their configs compute the same outputs once given the same weights (set by name).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nabla/nabla.h"
#include "nabla/nn/layer_registry.h"
#include "nabla/nn/serialization.h"
#include "nabla/optim/schedules.h"
#include "nabla/train/losses_focal.h"
#include "nabla/train/metrics/auc.h"
#include "nabla/train/model_config.h"
#include "test_util.h"

using namespace nabla;
using json = nlohmann::json;

namespace {

// Copies every weight of `from` into the weight of the same name in `to`.
void copy_weights(const nn::Layer& from, nn::Layer& to) {
  ASSERT_EQ(from.weights().size(), to.weights().size()) << from.name();
  for (const nn::Weight& w : from.weights()) to.weight(w.name).copy_(w.value.detach());
}

// serialize -> deserialize -> serialize; then the same output on the same input and weights.
void roundtrip_layer(const nn::LayerPtr& layer, const std::vector<Tensor>& inputs) {
  SCOPED_TRACE(layer->type());
  layer->set_name(layer->name().empty() ? nn::unique_layer_name("rt") : layer->name());
  Tensor want = (*layer)(inputs, false);
  json j = nn::serialize_layer(*layer);
  nn::LayerPtr back = nn::deserialize_layer(j);
  const nn::Layer &got = *back, &want_layer = *layer;  // typeid of a named reference: no side effect to warn about
  EXPECT_EQ(typeid(got), typeid(want_layer));
  EXPECT_EQ(nn::serialize_layer(*back), j);
  EXPECT_TRUE(back->built());  // from build_config
  copy_weights(*layer, *back);
  nabla::testing::expect_close((*back)(inputs, false), want, 0, 0);
}

Tensor randn(const Shape& s, uint64_t seed) {
  Generator g(seed);
  return Tensor::normal(s, 0, 1, f32, &g);
}

class Scale : public nn::Layer {
 public:
  explicit Scale(double k = 2) : Layer("Scale"), k_(k) {}
  using Layer::call;
  void build(const std::vector<Shape>& in) override {
    // Many weights, to check that a handle from add_weight outlives the growth of the weight list.
    first_ = add_weight("w0", Shape{in[0].back()}, "ones");
    for (int i = 1; i < 20; ++i) {
      std::string n = "w";  // (not "w" + ...: GCC 12 warns falsely with -Wrestrict)
      n += std::to_string(i);
      add_weight(n, Shape{1}, "zeros");
    }
  }
  Tensor call(const Tensor& x, bool) override { return x * first_ * k_; }
  Shape compute_output_shape(const std::vector<Shape>& in) const override { return in.at(0); }
  json get_config() const override {
    json c = Layer::get_config();
    c["k"] = k_;
    return c;
  }
  static std::shared_ptr<Scale> from_config(const json& c) {
    auto l = std::make_shared<Scale>(c.at("k").get<double>());
    l->load_base_config(c);
    return l;
  }
  Tensor first_;

 private:
  double k_;
};

}  // namespace

TEST(RoundTrip, EveryBuiltinLayer) {
  Tensor x2 = randn({4, 6}, 1), x4 = randn({2, 6, 6, 3}, 2);
  roundtrip_layer(layers::Dense(5, "tanh", {.kernel_regularizer = "l2"}), {x2});
  roundtrip_layer(layers::Dense(5, "relu", {.use_bias = false, .kernel_initializer = nn::initializers::HeNormal(7)}),
                  {x2});
  roundtrip_layer(layers::Conv2D(4, {3, 2}, "relu", {.strides = {2, 1}, .padding = "same", .use_bias = true,
                                                     .bias_initializer = nn::constant(0.1),
                                                     .kernel_regularizer = nn::regularizers::L1L2(0.1, 0.2)}),
                  {x4});
  roundtrip_layer(layers::Conv2D(2, 3, "", {.dilation_rate = 2}), {x4});
  roundtrip_layer(layers::MaxPooling2D({3, 3}, 2, "same"), {x4});
  roundtrip_layer(layers::AveragePooling2D(2), {x4});
  roundtrip_layer(layers::GlobalAveragePooling2D(), {x4});
  auto bn = layers::BatchNormalization({.momentum = 0.9, .epsilon = 1e-2, .center = false});
  roundtrip_layer(bn, {x4});
  roundtrip_layer(layers::Dropout(0.3, 11), {x2});
  Tensor ids = Tensor::from_vector<int64_t>({0, 3, 9, 2}, Shape{2, 2});
  roundtrip_layer(layers::Embedding(10, 3, {.embeddings_regularizer = nn::regularizers::L2(0.5)}), {ids});
  roundtrip_layer(layers::Flatten(), {x4});
  roundtrip_layer(layers::Reshape({-1, 9}), {x4});
  roundtrip_layer(layers::Activation("softmax"), {x2});
  roundtrip_layer(layers::Add(), {x2, randn({4, 6}, 3)});
  roundtrip_layer(layers::Concatenate(1), {x2, randn({4, 2}, 4)});
}

TEST(RoundTrip, KerasWrittenConfigsLoad) {
  // What Keras writes (activation as a serialized function, strides as ints) loads too.
  json j = {{"module", "keras.layers"},
            {"class_name", "Dense"},
            {"config", {{"name", "k"}, {"units", 3}, {"activation", {{"module", "builtins"}, {"class_name", "function"},
                                                                     {"config", "relu"}, {"registered_name", "function"}}}}},
            {"registered_name", nullptr},
            {"build_config", {{"input_shape", {nullptr, 2}}}}};
  auto l = nn::deserialize_layer(j);
  EXPECT_EQ(std::static_pointer_cast<nn::Dense>(l)->activation(), "relu");
  EXPECT_EQ(l->weight("kernel").shape(), (Shape{2, 3}));
  nabla::testing::expect_error_contains([] { nn::deserialize_layer({{"class_name", "Nope"}, {"config", json::object()}}); },
                                 {"unknown layer 'Nope'", "Dense"});
  nabla::testing::expect_error_contains(
      [] {
        nn::deserialize_layer({{"class_name", "Dense"}, {"config", {{"units", 2}, {"kernel_constraint", "non_neg"}}}});
      },
      {"Dense config", "kernel_constraint", "not supported"});
  nabla::testing::expect_error_contains(
      [] {
        nn::deserialize_layer(
            {{"class_name", "Dense"},
             {"config", {{"units", 2}, {"dtype", {{"class_name", "DTypePolicy"}, {"config", {{"name", "mixed_float16"}}}}}}}});
      },
      {"mixed_float16", "not supported"});
}

TEST(RoundTrip, CustomLayerAndStableWeightHandles) {
  register_layer<Scale>("Tests>Scale");
  auto s = std::make_shared<Scale>(3);
  Tensor x = randn({2, 4}, 5);
  Tensor y = (*s)(x);
  // The handle kept from the first add_weight is the weight itself, after 19 more were added.
  s->weight("w0").fill_(0.5);
  nabla::testing::expect_close(s->first_, Tensor::full({4}, 0.5), 0, 0);
  json j = nn::serialize_layer(*s);
  EXPECT_EQ(j["registered_name"], "Tests>Scale");
  EXPECT_EQ(j["class_name"], "Scale");
  EXPECT_TRUE(j["module"].is_null());
  auto back = nn::deserialize_layer(j);
  ASSERT_TRUE(std::dynamic_pointer_cast<Scale>(back));
  EXPECT_EQ(nn::serialize_layer(*back), j);
  copy_weights(*s, *back);
  nabla::testing::expect_close((*back)(x), (*s)(x), 0, 0);
}

TEST(RoundTrip, WeightByNameNamesTheChoices) {
  auto d = layers::Dense(2, "", {.input_shape = {3}});
  nabla::testing::expect_error_contains([&] { d->weight("kernel"); }, {"not built"});
  d->ensure_built({Shape{-1, 3}});
  EXPECT_EQ(d->weight("kernel").shape(), (Shape{3, 2}));
  nabla::testing::expect_error_contains([&] { d->weight("gamma"); }, {"no weight named 'gamma'", "kernel, bias"});
}

TEST(RoundTrip, InitializersSeededAndNamed) {
  for (json j : {nn::serialize_initializer(nn::initializers::GlorotNormal(1)),
                 nn::serialize_initializer(nn::initializers::RandomUniform(-1, 2, 3)),
                 nn::serialize_initializer(nn::initializers::TruncatedNormal(0.5, 2, 4)),
                 nn::serialize_initializer(nn::initializers::LecunUniform(5)),
                 nn::serialize_initializer(nn::Initializer(std::make_shared<nn::VarianceScaling>(
                     0.5, "fan_avg", "untruncated_normal", 9)))}) {
    SCOPED_TRACE(j.dump());
    nn::Initializer a = nn::deserialize_initializer(j);
    EXPECT_EQ(nn::serialize_initializer(a), j);
    // Seeded: the same values on every call and after a round trip.
    Tensor t1 = Tensor::empty({5, 7}), t2 = Tensor::empty({5, 7});
    a(t1);
    nn::deserialize_initializer(j)(t2);
    nabla::testing::expect_close(t1, t2, 0, 0);
  }
  EXPECT_EQ(nn::serialize_initializer(nn::deserialize_initializer("he_uniform"))["class_name"], "HeUniform");
}

TEST(RoundTrip, OptimizersSchedulesLossesMetrics) {
  optim::AdamOptions a;
  a.schedule = optim::CosineDecay(0.1, 50, 0.05, 0.3, 4);
  a.global_clipnorm = 2.0;
  a.amsgrad = true;
  optim::SGDOptions s;
  s.schedule = optim::PiecewiseConstantDecay({3, 6}, {0.3, 0.2, 0.1});
  s.clipvalue = 0.5;
  optim::RMSpropOptions r;
  r.centered = true;
  r.rho = 0.8;
  std::vector<optim::OptimizerPtr> opts = {std::make_shared<optim::Adam>(a), optim::AdamW(),
                                           std::make_shared<optim::SGD>(s), std::make_shared<optim::RMSprop>(r)};
  for (const auto& o : opts) {
    json j = optim::serialize(*o);
    auto back = optim::deserialize(j);
    EXPECT_EQ(optim::serialize(*back), j);
    EXPECT_EQ(back->class_name(), o->class_name());
    for (int64_t step : {0, 3, 5, 40}) {
      o->set_iterations(step);
      back->set_iterations(step);
      EXPECT_EQ(back->learning_rate(), o->learning_rate()) << j.dump() << " step " << step;
    }
  }
  nabla::testing::expect_error_contains(
      [] {
        optim::AdamOptions o;
        o.schedule = [](int64_t) { return 0.1; };
        optim::serialize(optim::Adam(o));
      },
      {"plain function"});

  Tensor yt = Tensor::from_vector<float>({1, 0, 0, 1}, Shape{2, 2});
  Tensor yp = Tensor::from_vector<float>({0.7f, 0.3f, 0.4f, 0.6f}, Shape{2, 2});
  std::vector<losses::LossPtr> ls = {
      std::make_shared<losses::CategoricalCrossentropy>(false, 0.1), std::make_shared<losses::BinaryCrossentropy>(),
      std::make_shared<losses::MeanSquaredError>(), std::make_shared<losses::MeanAbsoluteError>(),
      std::make_shared<losses::Huber>(0.3),
      std::make_shared<losses::BinaryFocalCrossentropy>(losses::BinaryFocalCrossentropy::Options{.gamma = 1.5}),
      std::make_shared<losses::CategoricalFocalCrossentropy>(
          losses::CategoricalFocalCrossentropy::Options{.alpha = {0.2, 0.8}})};
  for (const auto& l : ls) {
    json j = losses::serialize(*l);
    auto back = losses::deserialize(j);
    EXPECT_EQ(losses::serialize(*back), j);
    nabla::testing::expect_close((*back)(yt, yp), (*l)(yt, yp), 0, 0);
  }
  Tensor ids = Tensor::from_vector<int64_t>({0, 1}, Shape{2});
  for (losses::LossPtr l : std::vector<losses::LossPtr>{std::make_shared<losses::SparseCategoricalCrossentropy>(),
                                                        std::make_shared<losses::SparseCategoricalFocalCrossentropy>()}) {
    json j = losses::serialize(*l);
    auto back = losses::deserialize(j);
    EXPECT_EQ(losses::serialize(*back), j);
    nabla::testing::expect_close((*back)(ids, yp), (*l)(ids, yp), 0, 0);
  }

  std::vector<metrics::MetricPtr> ms = {std::make_shared<metrics::CategoricalAccuracy>("acc"),
                                        std::make_shared<metrics::BinaryAccuracy>("ba", 0.65),
                                        std::make_shared<metrics::MeanSquaredError>(),
                                        std::make_shared<metrics::MeanAbsoluteError>(),
                                        std::make_shared<metrics::AUC>(metrics::AucOptions{.num_thresholds = 20})};
  for (const auto& m : ms) {
    json j = metrics::serialize(*m);
    auto back = metrics::deserialize(j);
    EXPECT_EQ(metrics::serialize(*back), j);
    m->update_state(yt, yp);
    back->update_state(yt, yp);
    EXPECT_EQ(back->result(), m->result()) << j.dump();
    EXPECT_EQ(back->name(), m->name());
  }
}

TEST(RoundTrip, SequentialModel) {
  Sequential m({layers::Conv2D(3, 3, "relu", {.input_shape = {6, 6, 2}}), layers::BatchNormalization(),
                layers::MaxPooling2D(), layers::Flatten(), layers::Dropout(0.2), layers::Dense(2, "softmax")});
  m.build_if_possible();
  json j = serialize_model(m);
  auto back = deserialize_model(j);
  EXPECT_EQ(serialize_model(*back), j);
  back->set_weights(m.get_weights());
  Tensor x = randn({3, 6, 6, 2}, 8);
  nabla::testing::expect_close(back->predict_on_batch(x), m.predict_on_batch(x), 0, 0);
}

TEST(RoundTrip, FunctionalModel) {
  auto a = Input({4}, "in_a"), b = Input({3}, "in_b");
  auto shared = layers::Dense(4, "relu");
  auto h = apply_layer(layers::Concatenate(), {apply_layer(shared, apply_layer(shared, a)), b});
  auto out1 = apply_layer(layers::Dense(1), h);
  auto out2 = apply_layer(layers::Dense(3, "softmax"), apply_layer(layers::Add(), {h, h}));
  Functional m({a, b}, {out1, out2});
  json j = serialize_model(m);
  auto back = deserialize_model(j);
  EXPECT_EQ(serialize_model(*back), j);
  ASSERT_EQ(back->layers().size(), m.layers().size());
  for (const auto& l : m.layers())
    for (const auto& bl : back->layers())
      if (bl->name() == l->name()) copy_weights(*l, *bl);
  Tensor xa = randn({2, 4}, 9), xb = randn({2, 3}, 10);
  auto want = m.predict_on_batch(std::vector<Tensor>{xa, xb});
  auto got = back->predict_on_batch(std::vector<Tensor>{xa, xb});
  ASSERT_EQ(got.size(), 2u);
  for (size_t i = 0; i < 2; ++i) nabla::testing::expect_close(got[i], want[i], 0, 0);
}
