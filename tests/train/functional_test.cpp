#include "test_util.h"

namespace nabla {
namespace {

template <class L>
std::shared_ptr<L> named(std::shared_ptr<L> layer, const std::string& name) {
  layer->set_name(name);
  return layer;
}

TEST(Functional, TwoInputsTwoOutputsTrain) {
  manual_seed(5);
  const int64_t n = 256;
  Tensor xa = Tensor::uniform({n, 4}, -1, 1), xb = Tensor::uniform({n, 3}, -1, 1);
  Tensor y1 = Tensor::empty({n, 1}), y2 = Tensor::empty({n, 1});
  for (int64_t i = 0; i < n; ++i) {
    y1.data<float>()[i] = xa.data<float>()[i * 4] + xb.data<float>()[i * 3];
    y2.data<float>()[i] = xa.data<float>()[i * 4 + 1] - 2 * xb.data<float>()[i * 3 + 2];
  }
  auto a = Input({4}, "in_a"), b = Input({3}, "in_b");
  auto h = apply_layer(named(layers::Concatenate(), "joined"),
                 {apply_layer(layers::Dense(16, "relu"), a), apply_layer(layers::Dense(16, "relu"), b)});
  auto skip = apply_layer(named(layers::Add(), "skip"), {apply_layer(layers::Dense(1), a), apply_layer(layers::Dense(1), b)});
  auto out1 = apply_layer(named(layers::Dense(1), "sum"), h);
  auto out2 = apply_layer(named(layers::Add(), "diff"), {apply_layer(layers::Dense(1), h), skip});
  Functional model({a, b}, {out1, out2}, "two_by_two");
  EXPECT_EQ(model.output_names(), (std::vector<std::string>{"sum", "diff"}));
  model.compile(std::make_shared<optim::Adam>(0.01), "mse", {"mae"});

  History hist = model.fit({xa, xb}, {y1, y2}, {.epochs = 30, .verbose = 0, .validation_split = 0.25});
  for (const char* k : {"loss", "sum_loss", "diff_loss", "sum_mae", "diff_mae", "val_loss", "val_diff_mae"})
    ASSERT_TRUE(hist.history.count(k)) << k;
  EXPECT_LT(hist["loss"].back(), 0.1 * hist["loss"].front());
  EXPECT_NEAR(hist["loss"].back(), hist["sum_loss"].back() + hist["diff_loss"].back(), 1e-5);

  EvalResult r = model.evaluate({xa, xb}, {y1, y2}, {.verbose = 0});
  EXPECT_NEAR(r.loss(), r["sum_loss"] + r["diff_loss"], 1e-5);
  EXPECT_LT(r.loss(), 0.1);
  auto preds = model.predict({xa, xb}, {.batch_size = 100});
  ASSERT_EQ(preds.size(), 2u);
  EXPECT_EQ(preds[0].shape(), Shape({n, 1}));
  EXPECT_EQ(preds[1].shape(), Shape({n, 1}));
  // evaluate's loss for output 1 is the MSE of what predict returns.
  EXPECT_NEAR(nabla::square(preds[0] - y1).mean().item(), r["sum_loss"], 1e-4);

  testing::expect_error_contains<Error>([&] { model.fit({xa, xb}, {y1}, {.verbose = 0}); }, {"2 outputs", "1 targets"});
}

TEST(Functional, SingleInputOutputUsesTheOrdinaryApi) {
  manual_seed(2);
  auto x = Input({4});
  auto h = apply_layer(layers::Dense(16, "relu"), x);
  Functional model(x, apply_layer(layers::Dense(3, "softmax"), h));
  Tensor xs = Tensor::normal({300, 4});
  Tensor ys = Tensor::empty({300}, i64);
  for (int64_t i = 0; i < 300; ++i) {  // the class is the argmax of the first three features
    const float* r = xs.data<float>() + i * 4;
    ys.data<int64_t>()[i] = r[0] > r[1] ? (r[0] > r[2] ? 0 : 2) : (r[1] > r[2] ? 1 : 2);
  }
  model.compile(std::make_shared<optim::Adam>(0.02), "sparse_categorical_crossentropy", {"accuracy"});
  History h1 = model.fit(xs, ys, {.epochs = 40, .verbose = 0});
  EXPECT_GT(h1["accuracy"].back(), 0.9);
  EXPECT_EQ(model.predict(xs).shape(), Shape({300, 3}));
  // The vector overloads with one input and one output take the same path.
  EXPECT_NEAR(model.evaluate({xs}, {ys}, {.verbose = 0})["accuracy"], model.evaluate(xs, ys, {.verbose = 0})["accuracy"],
              1e-12);
  // Weights round-trip through a file (the InputLayer has none).
  std::string path = testing::temp_dir() + "/f.weights";
  model.save_weights(path);
  auto x2 = Input({4});
  Functional copy(x2, apply_layer(layers::Dense(3, "softmax"), apply_layer(layers::Dense(16, "relu"), x2)));
  copy.load_weights(path);
  EXPECT_EQ(copy.predict(xs).to_vector<float>(), model.predict(xs).to_vector<float>());
}

TEST(Functional, SummaryListsEveryLayer) {
  auto a = Input({4}, "feat"), b = Input({2}, "extra");
  auto h = apply_layer(named(layers::Dense(8, "relu"), "hidden"), a);
  auto out = apply_layer(named(layers::Dense(1), "head"), apply_layer(named(layers::Concatenate(), "cat"), {h, b}));
  Functional model({a, b}, {out}, "summ");
  ASSERT_EQ(model.layers().size(), 5u);
  std::ostringstream os;
  model.summary(os);
  std::string s = os.str();
  for (const char* part : {"Model: \"summ\"", "feat (InputLayer)", "(None, 4)", "extra (InputLayer)", "hidden (Dense)",
                           "(None, 8)", "cat (Concatenate)", "(None, 10)", "head (Dense)", "(None, 1)",
                           "Total params: 51"})
    EXPECT_NE(s.find(part), std::string::npos) << "missing " << part << " in\n" << s;
}

TEST(Functional, ShapeErrorsNameLayerAndShapes) {
  auto a = Input({4}, "a4"), b = Input({8}, "b8");
  testing::expect_error_contains<ShapeError>([&] { apply_layer(named(layers::Add(), "bad_add"), {a, b}); },
                                             {"bad_add", "(None, 4)", "(None, 8)"});
  testing::expect_error_contains<ShapeError>(
      [&] { apply_layer(named(layers::Concatenate(), "bad_cat"), {a, Input({2, 3})}); },
      {"bad_cat", "(None, 4)", "(None, 2, 3)"});
  testing::expect_error_contains<ShapeError>(
      [&] { apply_layer(named(layers::Concatenate(1), "bad_cat1"), {Input({2, 3}), Input({2, 4})}); },
      {"bad_cat1", "(None, 2, 3)", "(None, 2, 4)"});
  EXPECT_EQ(apply_layer(layers::Concatenate(1), {Input({2, 3}), Input({5, 3})}).shape(), Shape({-1, 7, 3}));
  auto d = named(layers::Dense(2), "shared_dense");
  apply_layer(d, a);
  testing::expect_error_contains<ShapeError>([&] { apply_layer(d, b); }, {"shared_dense", "(None, 4)", "(None, 8)"});

  Functional model(a, apply_layer(layers::Dense(2), a));
  testing::expect_error_contains<ShapeError>([&] { model.predict(Tensor::zeros({2, 5})); },
                                             {"a4", "(None, 4)", "(2, 5)"});
}

TEST(Functional, SharedLayersAndDisconnectedGraphs) {
  auto a = Input({3});
  auto shared = layers::Dense(3);
  auto twice = apply_layer(shared, apply_layer(shared, a));
  Functional model(a, twice);
  EXPECT_EQ(model.layers().size(), 2u);  // the input and the shared Dense once
  EXPECT_EQ(model.trainable_weights().size(), 2u);
  Tensor x = Tensor::uniform({2, 3}, -1, 1);
  // Applying the layer twice equals the model's output.
  Tensor manual = (*shared)((*shared)(x));
  testing::expect_close(model(x), manual);

  auto other = Input({3}, "forgotten");
  auto mixed = apply_layer(layers::Add(), {a, other});
  testing::expect_error_contains<ValueError>([&] { Functional bad(a, mixed); }, {"disconnected", "forgotten"});
}

TEST(MergeLayers, AddAndConcatenateValuesAndGradients) {
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2}).requires_grad_();
  Tensor y = Tensor::from_vector<float>({10, 20, 30, 40}, {2, 2}).requires_grad_();
  Tensor s = (*layers::Add())({x, y});
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{11, 22, 33, 44}));
  Tensor c = (*layers::Concatenate())({x, y});
  EXPECT_EQ(c.shape(), Shape({2, 4}));
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1, 2, 10, 20, 3, 4, 30, 40}));
  testing::expect_error_contains<ShapeError>([&] { (*layers::Concatenate(0))({x, y}); }, {"axis 0"});
  (s.sum() + (c * 2.0).sum()).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3, 3, 3, 3}));
  EXPECT_EQ(y.grad().to_vector<float>(), (std::vector<float>{3, 3, 3, 3}));
}

}  // namespace
}  // namespace nabla
