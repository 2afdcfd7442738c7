// Cross-checks of Conv2D (valid/same padding, strides, dilation) and BatchNormalization (training and
// inference) against PyTorch; fixtures from make_fixtures.py's CONV_BN_CASES, stored in nabla's NHWC/HWIO.
#include "nabla/ops/batch_norm.h"
#include "nabla/ops/conv.h"
#include "torch_fixtures.h"

namespace nabla::torch_check {
namespace {

TEST(Conv2D, PaddingStridesDilationForwardAndGradients) {
  const json& c = load_case("conv2d");
  struct Config {
    const char* name;
    Conv2DArgs args;
  };
  const Config configs[] = {{"valid", {}},
                            {"same", {.padding = Padding::same}},
                            {"same_s2", {.strides = {2, 2}, .padding = Padding::same}},
                            {"valid_d2", {.dilation = {2, 2}}}};
  for (DType dt : {f32, f64}) {
    for (const Config& cfg : configs) {
      SCOPED_TRACE(std::string(cfg.name) + " " + dtype_name(dt));
      Tensor x = tensor(c, "x", dt).requires_grad_(), w = tensor(c, "w", dt).requires_grad_(),
             b = tensor(c, "b", dt).requires_grad_();
      Tensor y = conv2d(x, w, b, cfg.args);
      std::string p = cfg.name;
      y.backward(tensor(c, p + "_gy", dt));
      expect_matches(y, c, p + "_y");
      expect_matches(x.grad(), c, p + "_dx");
      expect_matches(w.grad(), c, p + "_dw");
      expect_matches(b.grad(), c, p + "_db");
    }
  }
}

TEST(Conv2D, LayerMatchesTheOp) {
  const json& c = load_case("conv2d");
  auto layer = layers::Conv2D(4, 3, "", {.padding = "same"});
  Tensor x = tensor(c, "x", f32);
  layer->ensure_built({Shape{-1, x.size(1), x.size(2), x.size(3)}});
  layer->weights()[0].value.copy_(tensor(c, "w", f32));
  layer->weights()[1].value.copy_(tensor(c, "b", f32));
  expect_matches((*layer)(x), c, "same_y");
}

TEST(BatchNorm, TrainingAndInferenceForwardGradientsAndMovingStatistics) {
  const json& c = load_case("batch_norm");
  for (DType dt : {f32, f64}) {
    SCOPED_TRACE(dtype_name(dt));
    for (bool training : {true, false}) {
      std::string p = training ? "train" : "infer";
      Tensor x = tensor(c, "x", dt).requires_grad_(), gamma = tensor(c, "gamma", dt).requires_grad_(),
             beta = tensor(c, "beta", dt).requires_grad_();
      Tensor mm = tensor(c, "moving_mean", dt), mv = tensor(c, "moving_variance", dt);
      Tensor y = batch_norm(x, gamma, beta, mm, mv,
                            {.training = training, .momentum = number(c, "momentum"), .epsilon = number(c, "epsilon")});
      y.backward(tensor(c, "gy", dt));
      expect_matches(y, c, p + "_y");
      expect_matches(x.grad(), c, p + "_dx");
      expect_matches(gamma.grad(), c, p + "_dgamma");
      expect_matches(beta.grad(), c, p + "_dbeta");
      if (training) {
        expect_matches(mm, c, "new_moving_mean");
        expect_matches(mv, c, "new_moving_variance");
      } else {
        expect_matches(mm, c, "moving_mean");
      }
    }
  }
}

}  // namespace
}  // namespace nabla::torch_check
