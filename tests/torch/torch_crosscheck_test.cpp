// Cross-checks against PyTorch: nabla runs the fixtures' inputs and weights (in float32 and, where nabla
// supports it, float64) and must reproduce PyTorch's outputs and gradients. Fixtures: make_fixtures.py.
// Conv2D and BatchNorm checks are in conv_bn_crosscheck_test.cpp, fed by make_fixtures.py's CONV_BN_CASES.
#include "torch_fixtures.h"

namespace nabla::torch_check {
namespace {

constexpr DType kBothDtypes[] = {f32, f64};

Tensor leaf(const json& c, const std::string& key, DType dt) { return tensor(c, key, dt).requires_grad_(); }

Tensor labels(const json& c, const std::string& key) { return tensor(c, key, f64).to(i64); }

// ---- Dense -----------------------------------------------------------------------------------------------------

// A Dense layer (float32, as nabla's layers are) holding the fixture's kernel and bias.
std::shared_ptr<nn::Dense> dense_layer(const json& c, const std::string& activation) {
  Tensor w = tensor(c, "w", f32);
  auto d = layers::Dense(w.size(1), activation);
  d->ensure_built({Shape{-1, w.size(0)}});
  d->weights()[0].value.copy_(w);
  d->weights()[1].value.copy_(tensor(c, "b", f32));
  return d;
}

void expect_dense_layer(const std::string& activation, const std::string& prefix, bool separate_relu = false) {
  const json& c = load_case("dense");
  auto d = dense_layer(c, activation);
  Tensor x = leaf(c, "x", f32);
  Tensor y = (*d)(x, /*training=*/true);
  if (separate_relu) y = relu(y);
  y.backward(tensor(c, "gy", f32));
  expect_matches(y, c, prefix + "_y");
  expect_matches(x.grad(), c, prefix + "_dx");
  expect_matches(d->kernel().grad(), c, prefix + "_dw");
  expect_matches(d->bias().grad(), c, prefix + "_db");
}

TEST(Dense, LinearLayer) { expect_dense_layer("", "linear"); }
TEST(Dense, ReluLayerFusedIntoGemm) { expect_dense_layer("relu", "relu"); }
TEST(Dense, LinearLayerThenReluOp) { expect_dense_layer("", "relu", /*separate_relu=*/true); }

TEST(Dense, LinearOpFusedAndUnfused) {
  const json& c = load_case("dense");
  for (DType dt : kBothDtypes) {
    for (auto [prefix, fused, separate] : {std::tuple{"linear", FusedActivation::none, false},
                                           std::tuple{"relu", FusedActivation::relu, false},
                                           std::tuple{"relu", FusedActivation::none, true}}) {
      SCOPED_TRACE(std::string(prefix) + (separate ? " (relu as its own op)" : ""));
      Tensor x = leaf(c, "x", dt), w = leaf(c, "w", dt), b = leaf(c, "b", dt);
      Tensor y = linear(x, w, b, fused);
      if (separate) y = relu(y);
      y.backward(tensor(c, "gy", dt));
      std::string p = prefix;
      expect_matches(y, c, p + "_y");
      expect_matches(x.grad(), c, p + "_dx");
      expect_matches(w.grad(), c, p + "_dw");
      expect_matches(b.grad(), c, p + "_db");
    }
  }
}

TEST(Dense, Rank3InputActsOnLastAxis) {
  const json& c = load_case("dense");
  auto d = dense_layer(c, "");
  Tensor x = leaf(c, "x3", f32);
  Tensor y = (*d)(x, true);
  y.backward(tensor(c, "gy3", f32));
  expect_matches(y, c, "rank3_y");
  expect_matches(x.grad(), c, "rank3_dx");
  expect_matches(d->kernel().grad(), c, "rank3_dw");
  expect_matches(d->bias().grad(), c, "rank3_db");
}

// ---- Dropout, softmax ------------------------------------------------------------------------------------------

TEST(Dropout, EvalModeIsIdentity) {
  const json& c = load_case("dropout_eval");
  auto layer = layers::Dropout(number(c, "rate"));
  for (DType dt : kBothDtypes) {
    Tensor x = leaf(c, "x", dt);
    Tensor y = (*layer)(x, /*training=*/false);
    y.backward(tensor(c, "gy", dt));
    expect_matches(y, c, "y");
    expect_matches(x.grad(), c, "dx");
  }
}

TEST(Softmax, SoftmaxAndLogSoftmax) {
  const json& c = load_case("softmax");
  for (DType dt : kBothDtypes) {
    for (bool log : {false, true}) {
      std::string p = log ? "log_softmax" : "softmax";
      Tensor x = leaf(c, "x", dt);
      Tensor y = log ? log_softmax(x) : softmax(x);
      y.backward(tensor(c, "gy", dt));
      expect_matches(y, c, p + "_y");
      expect_matches(x.grad(), c, p + "_dx");
    }
  }
}

// ---- Losses ----------------------------------------------------------------------------------------------------

// loss(y_true, f(input)) and d loss / d input, compared with case[value_key] and case[grad_key].
template <class MakePred>
void expect_loss(const losses::Loss& loss, const json& c, const Tensor& y_true, const std::string& input_key,
                 DType dt, MakePred make_pred, const std::string& value_key, const std::string& grad_key,
                 const Tensor& sample_weight = Tensor()) {
  SCOPED_TRACE(loss.name() + " on " + input_key);
  Tensor in = leaf(c, input_key, dt);
  Tensor l = loss(y_true, make_pred(in), sample_weight);
  l.backward();
  expect_matches(l, c, value_key);
  expect_matches(in.grad(), c, grad_key);
}

auto identity = [](const Tensor& t) { return t; };
auto softmax_of = [](const Tensor& t) { return softmax(t); };
auto sigmoid_of = [](const Tensor& t) { return sigmoid(t); };

TEST(Loss, SparseCategoricalCrossentropy) {
  const json& c = load_case("sparse_categorical_crossentropy");
  Tensor y = labels(c, "labels");
  for (DType dt : kBothDtypes) {
    losses::SparseCategoricalCrossentropy from_logits(true), from_probs(false);
    expect_loss(from_logits, c, y, "logits", dt, identity, "loss", "dlogits");
    // A softmax output: nabla takes the fused path through the logits behind it; the gradient wrt the logits
    // must still be torch's.
    expect_loss(from_probs, c, y, "logits", dt, softmax_of, "loss", "dlogits");
    expect_loss(from_probs, c, y, "probs", dt, identity, "probs_loss", "dprobs");
    expect_loss(from_logits, c, y, "logits", dt, identity, "weighted_loss", "weighted_dlogits",
                tensor(c, "sample_weight", dt));
  }
}

TEST(Loss, CategoricalCrossentropy) {
  const json& c = load_case("categorical_crossentropy");
  for (DType dt : kBothDtypes) {
    Tensor y = tensor(c, "targets", dt);
    losses::CategoricalCrossentropy from_logits(true), from_probs(false);
    expect_loss(from_logits, c, y, "logits", dt, identity, "loss", "dlogits");
    expect_loss(from_probs, c, y, "logits", dt, softmax_of, "loss", "dlogits");
    expect_loss(from_probs, c, y, "probs", dt, identity, "probs_loss", "dprobs");
  }
}

TEST(Loss, BinaryCrossentropy) {
  const json& c = load_case("binary_crossentropy");
  for (DType dt : kBothDtypes) {
    Tensor y = tensor(c, "targets", dt);
    losses::BinaryCrossentropy from_logits(true), from_probs(false);
    expect_loss(from_logits, c, y, "logits", dt, identity, "loss", "dlogits");
    expect_loss(from_probs, c, y, "logits", dt, sigmoid_of, "loss", "dlogits");
    expect_loss(from_probs, c, y, "probs", dt, identity, "probs_loss", "dprobs");
  }
}

TEST(Loss, MseMaeHuber) {
  const json& c = load_case("regression_losses");
  for (DType dt : kBothDtypes) {
    Tensor y = tensor(c, "y_true", dt);
    expect_loss(losses::MeanSquaredError(), c, y, "y_pred", dt, identity, "mse_loss", "mse_dpred");
    expect_loss(losses::MeanAbsoluteError(), c, y, "y_pred", dt, identity, "mae_loss", "mae_dpred");
    expect_loss(losses::Huber(1.0), c, y, "y_pred", dt, identity, "huber_loss", "huber_dpred");
    expect_loss(losses::Huber(0.5), c, y, "y_pred", dt, identity, "huber_half_loss", "huber_half_dpred");
  }
}

// ---- Optimizers ------------------------------------------------------------------------------------------------

// Applies the case's gradients one step at a time, comparing the parameter with the trajectory after each.
void expect_trajectory(optim::Optimizer& opt, const json& c, const std::string& grads_key,
                       const std::string& trajectory_key, DType dt) {
  Tensor p = tensor(c, "p0", dt);
  Tensor grads = tensor(c, grads_key, dt);
  Tensor traj = tensor(c, trajectory_key, f64);
  for (int64_t t = 0; t < grads.size(0); ++t) {
    opt.apply_gradients({grads[t].contiguous()}, {p});
    expect_matches(p, traj[t].contiguous(), trajectory_key + " after step " + std::to_string(t + 1));
  }
}

TEST(Optim, SgdPlainMomentumNesterov) {
  const json& c = load_case("sgd");
  for (DType dt : kBothDtypes) {
    for (const std::string name : {"plain", "momentum", "nesterov"}) {
      SCOPED_TRACE("SGD " + name);
      optim::SGD opt(number(c, name + "_lr"), number(c, name + "_momentum"), number(c, name + "_nesterov") != 0);
      expect_trajectory(opt, c, "grads", name + "_trajectory", dt);
    }
  }
}

TEST(Optim, AdamKerasEpsilonAmsgradAdamW) {
  const json& c = load_case("adam");
  for (DType dt : kBothDtypes) {
    for (const std::string name : {"default", "large_lr", "large_eps", "amsgrad", "adamw"}) {
      SCOPED_TRACE("Adam " + name);
      optim::AdamOptions o;
      o.learning_rate = number(c, name + "_lr");
      o.beta_1 = number(c, name + "_beta_1");
      o.beta_2 = number(c, name + "_beta_2");
      o.epsilon = number(c, name + "_epsilon");
      o.amsgrad = number(c, name + "_amsgrad") != 0;
      o.weight_decay = number(c, name + "_weight_decay");
      optim::Adam opt(o);
      expect_trajectory(opt, c, c.at(name + "_grads").get<std::string>(), name + "_trajectory", dt);
    }
  }
}

}  // namespace
}  // namespace nabla::torch_check
