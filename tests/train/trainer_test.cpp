// The loops' contract with their options: where output goes, and which errors bad arguments raise (ValueError,
// as Keras).
#include <cmath>
#include <limits>
#include <sstream>

#include "test_util.h"

namespace nabla {
namespace {

TEST(Trainer, PredictWritesItsProgressBarToOptsOut) {
  Sequential model({layers::Dense(2, "softmax", {.input_shape = {3}})});
  Tensor x = Tensor::uniform({10, 3}, -1, 1);
  std::ostringstream os;
  ::testing::internal::CaptureStdout();
  Tensor p = model.predict(x, {.batch_size = 4, .verbose = 2, .out = &os});
  const std::string on_stdout = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(p.shape(), Shape({10, 2}));
  EXPECT_NE(os.str().find("3/3"), std::string::npos) << os.str();
  EXPECT_EQ(on_stdout, "");
}

TEST(Trainer, BadArgumentsRaiseValueError) {
  Sequential model({layers::Dense(1, "sigmoid", {.input_shape = {3}})});
  Tensor x = Tensor::uniform({8, 3}, -1, 1), y = Tensor::zeros({8, 1});
  testing::expect_error_contains<ValueError>([&] { model.fit(x, y, {.verbose = 0}); }, {"must be compiled"});
  model.compile("sgd", "binary_crossentropy");
  testing::expect_error_contains<ValueError>([&] { model.fit(x, y, {.batch_size = 0, .verbose = 0}); },
                                             {"batch_size must be positive"});
  testing::expect_error_contains<ValueError>([&] { model.fit(x, y, {.verbose = 0, .validation_split = 1.5}); },
                                             {"validation_split must be in [0, 1)"});
  testing::expect_error_contains<ValueError>([&] { model.fit(x, y, {.verbose = 0, .validation_split = 0.01}); },
                                             {"leaves no data on one side"});
  testing::expect_error_contains<ValueError>(
      [&] { model.fit(x, y, {.verbose = 0, .class_weight = {{0, 1.0}}, .class_weights = {{"out", {{0, 1.0}}}}}); },
      {"not both"});
  testing::expect_error_contains<ValueError>(
      [&] { model.fit(x, y, {.verbose = 0, .class_weights = {{"nope", {{0, 1.0}}}}}); }, {"'nope'"});
  testing::expect_error_contains<ValueError>([&] { model.evaluate(x, y, {.batch_size = -1, .verbose = 0}); },
                                             {"batch_size must be positive"});
  testing::expect_error_contains<ValueError>([&] { model.predict(x, {.batch_size = 0}); },
                                             {"batch_size must be positive"});
  testing::expect_error_contains<ValueError>([&] { model.fit(x, Tensor::from_vector<float>({0.5f, 0, 0, 0, 0, 0, 0, 0},
                                                                                             {8, 1}),
                                                             {.verbose = 0, .class_weight = {{1, 2.0}}}); },
                                             {"non-negative class ids", "0.5"});
  testing::expect_error_contains<ValueError>([] { optim::SGD(0.1, 2.0); }, {"momentum must be in [0, 1]"});
  testing::expect_error_contains<ValueError>([] { optim::ExponentialDecay(0.1, 0, 0.5); }, {"decay_steps"});
  optim::Adam adam;
  testing::expect_error_contains<ValueError>([&] { adam.apply_gradients({x}, {}); }, {"1 gradients for 0"});
}

// fit refuses non-finite data and names where it is: the first NaN/Inf, also past the blocks the check splits
// the data into, in float32 and float64.
TEST(Trainer, FitNamesTheFirstNonFiniteValueOfTheData) {
  Sequential model({layers::Dense(2, "softmax", {.input_shape = {1000}})});
  model.compile("adam", "sparse_categorical_crossentropy");
  Tensor y = Tensor::zeros({300}, u8);
  for (DType dt : {f32, f64}) {
    Tensor x = Tensor::uniform({300, 1000}, -1, 1).to(dt);
    auto set = [&](int64_t i, double v) {
      if (dt == f32) x.data<float>()[i] = float(v);
      else x.data<double>()[i] = v;
    };
    set(271 * 1000 + 5, std::numeric_limits<double>::infinity());  // block 4 of 65536 values
    set(140 * 1000 + 7, std::nan(""));                               // block 2: the first one
    try {
      model.fit(x, y, {.epochs = 1, .verbose = 0});
      ADD_FAILURE() << "fit accepted a NaN";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("x contains NaN at sample 140 (flat index 140007)"), std::string::npos)
          << e.what();
    }
    set(140 * 1000 + 7, 0.5);
    try {
      model.fit(x, y, {.epochs = 1, .verbose = 0});
      ADD_FAILURE() << "fit accepted an Inf";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("x contains Inf at sample 271 (flat index 271005)"), std::string::npos)
          << e.what();
    }
  }
}

// float64 data (numpy's default) into a float32 model is converted batch by batch, as Keras casts inputs to floatx:
// fit, evaluate and predict give what the float32 copy of the data gives, shuffled or not.
TEST(Trainer, Float64InputsAreCastPerBatchToTheModelsFloat32) {
  auto make = [] {
    manual_seed(4);
    auto m = std::make_unique<Sequential>(
        std::vector<nn::LayerPtr>{layers::Dense(8, "relu", {.input_shape = {5}}), layers::Dense(3, "softmax")});
    m->compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    return m;
  };
  Generator g(8);
  Tensor x64 = Tensor::uniform({100, 5}, -1, 1, f64, &g);
  Tensor x32 = x64.to(f32);
  Tensor y = (Tensor::uniform({100}, 0, 3, f32, &g)).to(u8);
  for (bool shuffle : {false, true}) {
    auto a = make(), b = make();
    manual_seed(9);
    History ha = a->fit(x64, y, {.epochs = 2, .batch_size = 16, .verbose = 0, .shuffle = shuffle});
    manual_seed(9);
    History hb = b->fit(x32, y, {.epochs = 2, .batch_size = 16, .verbose = 0, .shuffle = shuffle});
    EXPECT_EQ(ha["loss"], hb["loss"]) << "shuffle " << shuffle;
    EXPECT_EQ(a->evaluate(x64, y, {.verbose = 0}).values, b->evaluate(x32, y, {.verbose = 0}).values);
    Tensor pa = a->predict(x64, {.batch_size = 32}), pb = b->predict(x32, {.batch_size = 32});
    EXPECT_EQ(pa.dtype(), f32);
    EXPECT_EQ(pa.to_vector<float>(), pb.to_vector<float>());
  }
}

}  // namespace
}  // namespace nabla
