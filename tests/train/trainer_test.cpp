// The loops' contract with their options: where output goes, and which errors bad arguments raise (ValueError,
// as Keras).
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

}  // namespace
}  // namespace nabla
