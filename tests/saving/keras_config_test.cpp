// nabla's get_config / serialize output against what Keras 3 writes for the same objects
// (fixtures/keras_configs.json, made by make_keras_configs.py; the Keras version is recorded in it).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "nabla/nabla.h"
#include "nabla/nn/layer_registry.h"
#include "nabla/nn/serialization.h"
#include "nabla/optim/schedules.h"
#include "nabla/train/losses_focal.h"
#include "nabla/train/metrics/auc.h"
#include "nabla/train/metrics/keras_precision_recall.h"
#include "nabla/nn/advanced_activations.h"
#include "nabla/train/model_config.h"
#include "test_util.h"

using namespace nabla;
using json = nlohmann::json;

namespace {

const json& fixtures() {
  static json j = [] {
    std::ifstream f(std::string(NABLA_TESTS_DIR) + "/saving/fixtures/keras_configs.json");
    EXPECT_TRUE(f.good()) << "missing tests/saving/fixtures/keras_configs.json";
    return json::parse(f);
  }();
  return j;
}

const json& keras(const std::string& key) {
  const json& objs = fixtures()["objects"];
  EXPECT_TRUE(objs.contains(key)) << key;
  return objs[key];
}

// Exact structural equality, numbers compared as values with float32 slack (Keras stores some factors as
// float32: L1(0.01) is written 0.009999999776482582). Functional layer lists are compared by layer name, since
// the order Keras lists them in is its graph traversal, not part of the format.
void expect_same(const json& want, const json& got, const std::string& path) {
  if (want.is_number() && got.is_number()) {
    double a = want.get<double>(), b = got.get<double>();
    EXPECT_LE(std::abs(a - b), 1e-6 * std::max({1.0, std::abs(a), std::abs(b)})) << path << ": Keras " << want
                                                                                   << ", nabla " << got;
    return;
  }
  ASSERT_EQ(want.type_name(), std::string(got.type_name())) << path << ": Keras " << want << ", nabla " << got;
  if (want.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (it.key() == "compile_config") continue;  // the model file's part, not the model's config
      EXPECT_TRUE(got.contains(it.key())) << path << ": nabla lacks \"" << it.key() << "\"";
      if (got.contains(it.key())) expect_same(*it, got[it.key()], path + "." + it.key());
    }
    for (auto it = got.begin(); it != got.end(); ++it)
      EXPECT_TRUE(want.contains(it.key())) << path << ": nabla writes \"" << it.key() << "\", Keras does not";
  } else if (want.is_array()) {
    bool layer_list = !want.empty() && want[0].is_object() && want[0].contains("inbound_nodes");
    ASSERT_EQ(want.size(), got.size()) << path << ": Keras " << want << ", nabla " << got;
    if (layer_list) {
      std::map<std::string, json> by_name;
      for (const json& l : got) by_name[l["name"].get<std::string>()] = l;
      for (const json& l : want) {
        std::string n = l["name"].get<std::string>();
        ASSERT_TRUE(by_name.count(n)) << path << ": nabla lacks layer " << n;
        expect_same(l, by_name[n], path + "[" + n + "]");
      }
    } else {
      for (size_t i = 0; i < want.size(); ++i) expect_same(want[i], got[i], path + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(want, got) << path;
  }
}

void check(const std::string& key, const json& nabla_json) { expect_same(keras(key), nabla_json, key); }

template <class L>
std::shared_ptr<L> named(std::shared_ptr<L> l, const std::string& n) {
  l->set_name(n);
  return l;
}

class MyLayer : public nn::Layer {
 public:
  explicit MyLayer(int64_t k = 2) : Layer("MyLayer"), k_(k) {}
  using Layer::call;
  Tensor call(const Tensor& x, bool) override { return x * double(k_); }
  Shape compute_output_shape(const std::vector<Shape>& in) const override { return in.at(0); }
  json get_config() const override {
    json c = Layer::get_config();
    c["k"] = k_;
    return c;
  }
  static std::shared_ptr<MyLayer> from_config(const json& c) {
    auto l = std::make_shared<MyLayer>(c.at("k").get<int64_t>());
    l->load_base_config(c);
    return l;
  }

 private:
  int64_t k_;
};

}  // namespace

TEST(KerasConfig, FixtureRecordsKeras3) {
  std::string v = fixtures()["keras_version"].get<std::string>();
  EXPECT_EQ(v.substr(0, 2), "3.") << v;
}

TEST(KerasConfig, Layers) {
  auto dense = named(layers::Dense(4, "relu"), "dense");
  dense->ensure_built({Shape{-1, 3}});
  check("dense_built", nn::serialize_layer(*dense));
  check("dense_regularized",
        nn::serialize_layer(*named(layers::Dense(4, "", {.kernel_regularizer = nn::regularizers::L2(0.01),
                                                         .bias_regularizer = nn::regularizers::L1(0.02)}),
                                   "dense_r")));
  auto conv = named(layers::Conv2D(8, 3), "conv2d");
  conv->ensure_built({Shape{-1, 5, 5, 2}});
  check("conv2d_built", nn::serialize_layer(*conv));
  check("conv2d_options", nn::serialize_layer(*named(
                              layers::Conv2D(4, {3, 2}, "relu",
                                             {.strides = 2, .padding = "same", .kernel_initializer = "he_normal"}),
                              "conv2d_o")));
  check("max_pooling2d", nn::serialize_layer(*named(layers::MaxPooling2D(), "max_pooling2d")));
  check("max_pooling2d_options", nn::serialize_layer(*named(layers::MaxPooling2D({3, 3}, 2, "same"), "mp3")));
  check("average_pooling2d", nn::serialize_layer(*named(layers::AveragePooling2D(2), "average_pooling2d")));
  check("global_average_pooling2d", nn::serialize_layer(*named(layers::GlobalAveragePooling2D(), "gap")));
  check("batch_normalization", nn::serialize_layer(*named(layers::BatchNormalization(), "bn")));
  check("dropout", nn::serialize_layer(*named(layers::Dropout(0.5), "dropout")));
  check("dropout_seed", nn::serialize_layer(*named(layers::Dropout(0.25, 3), "dropout_s")));
  check("embedding", nn::serialize_layer(*named(layers::Embedding(10, 4), "embedding")));
  check("embedding_regularized",
        nn::serialize_layer(*named(
            layers::Embedding(10, 4, {.embeddings_regularizer = nn::regularizers::L1L2(0.01, 0.001)}), "embedding_r")));
  check("flatten", nn::serialize_layer(*named(layers::Flatten(), "flatten")));
  check("reshape", nn::serialize_layer(*named(layers::Reshape({2, 3}), "reshape")));
  check("activation", nn::serialize_layer(*named(layers::Activation("softmax"), "activation")));
  check("add", nn::serialize_layer(*named(layers::Add(), "add")));
  check("concatenate", nn::serialize_layer(*named(layers::Concatenate(), "concatenate")));
  auto input = std::make_shared<nn::InputLayer>(std::vector<int64_t>{3});
  input->set_name("inp");
  input->ensure_built({input->shape()});
  check("input_layer", nn::serialize_layer(*input));
  auto frozen = named(layers::Dense(2), "frozen");
  frozen->trainable = false;
  check("frozen_dense", nn::serialize_layer(*frozen));
}

TEST(KerasConfig, CustomLayer) {
  register_layer<MyLayer>("MyPackage>MyLayer");
  auto l = std::make_shared<MyLayer>(5);
  l->set_name("my");
  check("custom_layer", nn::serialize_layer(*l));
}

TEST(KerasConfig, InitializersAndRegularizers) {
  namespace ini = nn::initializers;
  check("init_glorot_uniform", nn::serialize_initializer("glorot_uniform"));
  check("init_he_normal_seed", nn::serialize_initializer(ini::HeNormal(3)));
  check("init_zeros", nn::serialize_initializer("zeros"));
  check("init_ones", nn::serialize_initializer(nn::ones()));
  check("init_constant", nn::serialize_initializer(nn::constant(0.5)));
  check("init_random_normal", nn::serialize_initializer("random_normal"));
  check("init_random_uniform", nn::serialize_initializer("random_uniform"));
  check("init_truncated_normal", nn::serialize_initializer(ini::TruncatedNormal()));
  check("init_variance_scaling",
        nn::serialize_initializer(nn::Initializer(std::make_shared<nn::VarianceScaling>(2.0, "fan_out", "uniform"))));
  check("reg_l1", nn::serialize_regularizer(nn::regularizers::L1(0.01)));
  check("reg_l2", nn::serialize_regularizer(nn::regularizers::L2(0.02)));
  check("reg_l1l2", nn::serialize_regularizer(nn::regularizers::L1L2(0.01, 0.02)));
}

TEST(KerasConfig, OptimizersAndSchedules) {
  check("opt_adam", optim::serialize(optim::Adam()));
  check("opt_adamw", optim::serialize(*optim::AdamW()));
  check("opt_sgd", optim::serialize(optim::SGD(0.1, 0.9, true)));
  optim::RMSpropOptions r;
  r.clipnorm = 1.0;
  check("opt_rmsprop", optim::serialize(optim::RMSprop(r)));
  optim::AdamOptions a;
  a.schedule = optim::ExponentialDecay(0.1, 10, 0.9);
  json adam = optim::serialize(optim::Adam(a));
  adam["config"]["name"] = "adam_1";  // Keras numbers the second Adam of its session
  check("opt_adam_schedule", adam);
  check("sched_exponential", optim::serialize_schedule(optim::ExponentialDecay(0.1, 10, 0.9, true)));
  check("sched_piecewise", optim::serialize_schedule(optim::PiecewiseConstantDecay({10, 20}, {0.1, 0.01, 0.001})));
  check("sched_cosine", optim::serialize_schedule(optim::CosineDecay(0.1, 100, 0.1, 0.2, 5)));
}

TEST(KerasConfig, LossesAndMetrics) {
  check("loss_sparse_cce", losses::serialize(losses::SparseCategoricalCrossentropy(true)));
  check("loss_cce", losses::serialize(losses::CategoricalCrossentropy(false, 0.1)));
  check("loss_bce", losses::serialize(losses::BinaryCrossentropy()));
  check("loss_mse", losses::serialize(losses::MeanSquaredError()));
  check("loss_mae", losses::serialize(losses::MeanAbsoluteError()));
  check("loss_huber", losses::serialize(losses::Huber()));
  check("loss_binary_focal",
        losses::serialize(losses::BinaryFocalCrossentropy({.apply_class_balancing = true, .gamma = 3.0})));
  check("loss_categorical_focal", losses::serialize(losses::CategoricalFocalCrossentropy()));
  check("metric_sparse_categorical_accuracy", metrics::serialize(metrics::SparseCategoricalAccuracy()));
  check("metric_categorical_accuracy", metrics::serialize(metrics::CategoricalAccuracy()));
  check("metric_binary_accuracy", metrics::serialize(metrics::BinaryAccuracy("binary_accuracy", 0.7)));
  check("metric_mse", metrics::serialize(metrics::MeanSquaredError()));
  check("metric_mae", metrics::serialize(metrics::MeanAbsoluteError()));
  check("metric_mean", metrics::serialize(metrics::MeanMetric("mean")));
  check("metric_auc", metrics::serialize(metrics::AUC({.curve = metrics::Curve::PR, .num_thresholds = 50})));
}

// Issue 20's options and classes, against Keras 3.15's own serialization.
TEST(KerasConfig, KerasParityOptions) {
  check("relu_layer", nn::serialize_layer(*named(layers::ReLU(6.0, 0.1, 0.5), "relu_l")));
  check("leaky_relu_layer", nn::serialize_layer(*named(layers::LeakyReLU(0.2), "leaky")));
  check("elu_layer", nn::serialize_layer(*named(layers::ELU(0.5), "elu_l")));
  check("softmax_layer", nn::serialize_layer(*named(layers::Softmax(), "softmax_l")));
  check("loss_sparse_cce_ignore", losses::serialize(losses::SparseCategoricalCrossentropy(false, 255, "sum")));
  check("loss_mse_none", losses::serialize(losses::MeanSquaredError("none")));
  optim::SGDOptions s;
  s.learning_rate = 0.1;
  s.weight_decay = 0.01;
  json sgd = optim::serialize(optim::SGD(s));
  sgd["config"]["name"] = "sgd_1";  // Keras numbers the second SGD of its session
  check("opt_sgd_weight_decay", sgd);
  check("metric_accuracy", metrics::serialize(metrics::Accuracy()));
  check("metric_top_k", metrics::serialize(metrics::TopKCategoricalAccuracy(3)));
  check("metric_sparse_top_k", metrics::serialize(metrics::SparseTopKCategoricalAccuracy()));
  check("metric_precision", metrics::serialize(metrics::Precision({.thresholds = 0.3})));
  check("metric_recall_top_k", metrics::serialize(metrics::Recall({.top_k = 2, .class_id = 1})));
  check("metric_auc_logits", metrics::serialize(metrics::AUC({.from_logits = true}, "auc_1")));
  // ... and each rebuilds to the same config.
  for (const char* key : {"metric_accuracy", "metric_top_k", "metric_sparse_top_k", "metric_precision",
                          "metric_recall_top_k", "metric_auc_logits"}) {
    json j = metrics::serialize(*metrics::deserialize(keras(key)));
    check(key, j);
  }
  for (const char* key : {"loss_sparse_cce_ignore", "loss_mse_none"}) check(key, losses::serialize(*losses::deserialize(keras(key))));
  json sgd_back = optim::serialize(*optim::deserialize(keras("opt_sgd_weight_decay")));
  sgd_back["config"]["name"] = "sgd_1";  // nabla names an optimizer by its class (Keras's default name)
  check("opt_sgd_weight_decay", sgd_back);
  for (const char* key : {"relu_layer", "leaky_relu_layer", "elu_layer", "softmax_layer"})
    check(key, nn::serialize_layer(*nn::deserialize_layer(keras(key))));
}

TEST(KerasConfig, Models) {
  Sequential seq({named(layers::Dense(3, "relu", {.input_shape = {4}}), "d1"), named(layers::Dense(2), "d2")}, "seq");
  seq.build_if_possible();
  check("sequential", serialize_model(seq));
  Sequential unbuilt({named(layers::Dense(3), "d3")}, "seq2");
  check("sequential_unbuilt", serialize_model(unbuilt));

  auto a = Input({4}, "a"), b = Input({3}, "b");
  auto h = apply_layer(named(layers::Concatenate(), "cat"), {apply_layer(named(layers::Dense(8, "relu"), "da"), a), b});
  Functional fun({a, b}, {apply_layer(named(layers::Dense(1), "o1"), h), apply_layer(named(layers::Dense(3, "softmax"), "o2"), h)},
                 "fun");
  check("functional", serialize_model(fun));

  auto x = Input({4}, "x");
  auto shared = named(layers::Dense(4), "sh");
  Functional fun2(x, apply_layer(shared, apply_layer(shared, x)), "fun2");
  check("functional_shared", serialize_model(fun2));
}

// Node and tensor indices that are not JSON integers are refused with the entry named (reading 1e70 as an index
// was undefined behaviour).
TEST(KerasConfig, FunctionalIndicesMustBeIntegers) {
  auto x = Input({4}, "x");
  Functional fun(x, apply_layer(named(layers::Dense(2), "d"), x), "f");
  const json good = serialize_model(fun);
  ASSERT_NO_THROW(deserialize_model(good));
  json bad_history = good;
  for (json& l : bad_history["config"]["layers"])
    if (l["name"] == "d") l["inbound_nodes"][0]["args"][0]["config"]["keras_history"][1] = 1.22222e70;
  nabla::testing::expect_error_contains<Error>([&] { deserialize_model(bad_history); },
                                        {"keras_history must be [layer name, node index, tensor index]", "1.22222e+70"});
  json bad_output = good;
  bad_output["config"]["output_layers"][1] = -1.5;
  nabla::testing::expect_error_contains<Error>([&] { deserialize_model(bad_output); }, {"bad entry in output_layers", "-1.5"});
}
