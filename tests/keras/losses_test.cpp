// Every loss against Keras 3's own numbers (keras_fixtures.json, from make_keras_fixtures.py): reductions,
// sample weights of every shape Keras accepts, ignore_class, probabilities near 0 and 1.
#include "keras_fixtures.h"

using namespace nabla;
using namespace nabla::keras_check;

namespace {

losses::LossPtr make_loss(const std::string& cls, const json& kw) {
  const std::string r = str(kw, "reduction", "sum_over_batch_size");
  const bool logits = flag(kw, "from_logits", false);
  const double ls = num(kw, "label_smoothing", 0);
  if (cls == "SparseCategoricalCrossentropy") {
    std::optional<int64_t> ignore;
    if (kw.contains("ignore_class")) ignore = kw["ignore_class"].get<int64_t>();
    return std::make_shared<losses::SparseCategoricalCrossentropy>(logits, ignore, r);
  }
  if (cls == "CategoricalCrossentropy") return std::make_shared<losses::CategoricalCrossentropy>(logits, ls, r);
  if (cls == "BinaryCrossentropy") return std::make_shared<losses::BinaryCrossentropy>(logits, ls, r);
  if (cls == "MeanSquaredError") return std::make_shared<losses::MeanSquaredError>(r);
  if (cls == "MeanAbsoluteError") return std::make_shared<losses::MeanAbsoluteError>(r);
  if (cls == "Huber") return std::make_shared<losses::Huber>(num(kw, "delta", 1.0), r);
  if (cls == "BinaryFocalCrossentropy") {
    losses::BinaryFocalCrossentropy::Options o;
    o.apply_class_balancing = flag(kw, "apply_class_balancing", false);
    o.alpha = num(kw, "alpha", 0.25);
    o.gamma = num(kw, "gamma", 2.0);
    o.from_logits = logits;
    o.label_smoothing = ls;
    o.reduction = r;
    return std::make_shared<losses::BinaryFocalCrossentropy>(o);
  }
  losses::CategoricalFocalCrossentropy::Options o;
  o.alpha = {num(kw, "alpha", 0.25)};
  o.gamma = num(kw, "gamma", 2.0);
  o.from_logits = logits;
  o.label_smoothing = ls;
  o.reduction = r;
  if (cls == "CategoricalFocalCrossentropy") return std::make_shared<losses::CategoricalFocalCrossentropy>(o);
  if (cls == "SparseCategoricalFocalCrossentropy")
    return std::make_shared<losses::SparseCategoricalFocalCrossentropy>(o);
  throw std::runtime_error("no nabla loss for Keras class " + cls);
}

}  // namespace

TEST(KerasLosses, MatchKeras3) {
  int n = 0;
  for (const json& c : cases("losses")) {
    SCOPED_TRACE(c["name"].get<std::string>());
    losses::LossPtr loss = make_loss(c["class"], c["kwargs"]);
    for (DType dt : {f64, f32}) {
      if (dt == f32 && c["float64_only"].get<bool>()) continue;
      Tensor y_pred = tensor(c, "y_pred", dt);
      Tensor y_true = tensor(c, "y_true", dt);
      Tensor sw = c.contains("sample_weight") ? tensor(c, "sample_weight", dt) : Tensor();
      expect_keras_close((*loss)(y_true, y_pred, sw), tensor(c, "expected"), c["name"]);
    }
    ++n;
  }
  EXPECT_GE(n, 70);
}

TEST(KerasLosses, SparseCrossentropyRenormalisesLikeCategorical) {
  // Rows that do not sum to 1: the sparse and one-hot crossentropies agree (both renormalise, as Keras).
  Tensor p = Tensor::from_vector<double>({0.2, 0.1, 0.3, 0.6, 0.9, 0.3}, Shape{2, 3});
  Tensor labels = Tensor::from_vector<double>({2, 0});
  Tensor onehot = Tensor::from_vector<double>({0, 0, 1, 1, 0, 0}, Shape{2, 3});
  double sparse = losses::SparseCategoricalCrossentropy()(labels, p).item();
  EXPECT_NEAR(sparse, losses::CategoricalCrossentropy()(onehot, p).item(), 1e-12);
  EXPECT_NEAR(sparse, -(std::log(0.5) + std::log(0.6 / 1.8)) / 2, 1e-12);
}

TEST(KerasLosses, GradientsThroughNewPaths) {
  // Renormalised sparse crossentropy, clipped binary crossentropy, masked ignore_class, weighted timesteps.
  Tensor labels = Tensor::from_vector<double>({2, 0, 1, 7});
  nabla::testing::expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return losses::SparseCategoricalCrossentropy(false, 7)(labels, in[0]);
      },
      {Shape{4, 3}}, 0.1, 1.0);
  Tensor y = Tensor::from_vector<double>({1, 0, 1, 0, 0, 1}, Shape{3, 2});
  nabla::testing::expect_gradcheck([&](const std::vector<Tensor>& in) { return losses::BinaryCrossentropy()(y, in[0]); },
                            {Shape{3, 2}}, 0.05, 0.95);
  nabla::testing::expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        losses::BinaryFocalCrossentropy::Options o;
        o.apply_class_balancing = true;
        return losses::BinaryFocalCrossentropy(o)(y, in[0]);
      },
      {Shape{3, 2}}, 0.05, 0.95);
  Tensor w = Tensor::from_vector<double>({1, 0.5, 2, 0, 1, 3}, Shape{2, 3});
  Tensor t = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, Shape{2, 3, 1});
  nabla::testing::expect_gradcheck(
      [&](const std::vector<Tensor>& in) { return losses::Huber(0.5)(t, in[0], w); }, {Shape{2, 3, 1}}, 0, 7);
}

TEST(KerasLosses, ReductionNoneKeepsKerasShapes) {
  Tensor y = Tensor::zeros({4, 5, 1}, f64), p = Tensor::ones({4, 5, 1}, f64);
  EXPECT_EQ(losses::MeanSquaredError("none")(y, p).shape(), Shape({4, 5}));
  EXPECT_EQ(losses::MeanSquaredError("sum")(y, p).item(), 20.0);
  EXPECT_EQ(losses::MeanSquaredError("sum")(y, p, Tensor::full({4, 5}, 0.5, f64)).item(), 10.0);
  nabla::testing::expect_error_contains<ValueError>([] { losses::MeanSquaredError("avg"); },
                                             {"avg", "sum_over_batch_size", "none"});
  nabla::testing::expect_error_contains<ShapeError>(
      [&] { losses::MeanSquaredError()(y, p, Tensor::ones({3}, f64)); }, {"mean_squared_error", "(3,)", "(4, 5)"});
}

TEST(KerasLosses, ReductionCarriesIntoCompile) {
  // A loss object's reduction is what compile() trains and reports: "sum" over one batch of 6 samples is 6x the
  // default mean; per-timestep weights reach the loss through fit's sample_weight.
  manual_seed(3);
  Tensor x = Tensor::normal({6, 4, 2}, 0, 1, f32, nullptr);
  Tensor y = Tensor::normal({6, 4, 1}, 0, 1, f32, nullptr);
  Sequential model({layers::Dense(1, "", {.input_shape = {4, 2}})});
  model.compile("sgd", std::make_shared<losses::MeanSquaredError>("sum"));
  double summed = model.evaluate(x, y, {.batch_size = 6, .verbose = 0})["loss"];
  model.compile("sgd", std::make_shared<losses::MeanSquaredError>());
  double mean = model.evaluate(x, y, {.batch_size = 6, .verbose = 0})["loss"];
  EXPECT_NEAR(summed, 24 * mean, 1e-4 * summed);
  Tensor w = Tensor::zeros({6, 4});
  for (int64_t i = 0; i < 6; ++i) w.data<float>()[i * 4] = 1;  // only the first timestep counts
  Tensor p = model.predict(x).contiguous(), yc = y.contiguous();
  double expect = 0;
  for (int64_t i = 0; i < 6; ++i) {
    double d = double(p.data<float>()[i * 4]) - double(yc.data<float>()[i * 4]);
    expect += d * d / 24;
  }
  EXPECT_NEAR(model.evaluate(x, y, {.batch_size = 6, .verbose = 0, .sample_weight = w})["loss"], expect, 1e-5);
}
