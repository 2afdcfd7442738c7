#include "nabla/train/losses_focal.h"

#include "nabla/ops/activations.h"
#include "nabla/ops/fused_logits.h"
#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::losses {
namespace {

constexpr double kEpsilon = 1e-7;  // Keras's backend epsilon

}  // namespace

Tensor BinaryFocalCrossentropy::per_element(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  if (o_.label_smoothing > 0) y = y * (1 - o_.label_smoothing) + 0.5 * o_.label_smoothing;
  // Keras 3: the sigmoid of logits is clipped like any probability (no log-sigmoid form) for the crossentropy;
  // the focal factor uses the unclipped probability.
  Tensor pr = o_.from_logits ? sigmoid(y_pred) : y_pred;
  Tensor p = clip(pr, kEpsilon, 1 - kEpsilon);
  Tensor bce = neg(y * log(p) + (1.0 - y) * log(1.0 - p));
  Tensor p_t = y * pr + (1.0 - y) * (1.0 - pr);
  Tensor focal = pow(1.0 - p_t, o_.gamma) * bce;
  if (o_.apply_class_balancing) focal = (y * o_.alpha + (1.0 - y) * (1 - o_.alpha)) * focal;
  return focal.dim() <= 1 ? focal : mean(focal, {-1});  // Keras: the mean over the last axis
}

Tensor BinaryFocalCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

Tensor CategoricalFocalCrossentropy::focal(const Tensor& y_true, const Tensor& y_pred) const {
  const int64_t c = y_pred.shape().back();
  Tensor y = y_true;
  if (o_.label_smoothing > 0) y = y * (1 - o_.label_smoothing) + o_.label_smoothing / double(c);
  Tensor p = o_.from_logits ? softmax(y_pred) : y_pred;
  p = clip(p / sum(p, {-1}, true), kEpsilon, 1 - kEpsilon);
  Tensor term = pow(1.0 - p, o_.gamma) * neg(y * log(p));
  if (o_.alpha.size() == 1) {
    term = term * o_.alpha[0];
  } else {
    NABLA_CHECK(int64_t(o_.alpha.size()) == c, name(), ": ", o_.alpha.size(), " alpha values for ", c, " classes");
    term = term * Tensor::from_vector(o_.alpha).to(term.dtype());
  }
  return sum(term, {-1});
}

Tensor CategoricalFocalCrossentropy::per_element(const Tensor& y_true, const Tensor& y_pred) const {
  return focal(align_targets(y_true, y_pred, name()).to(y_pred.dtype()), y_pred);
}

Tensor CategoricalFocalCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

Tensor SparseCategoricalFocalCrossentropy::per_element(const Tensor& y_true, const Tensor& y_pred) const {
  NABLA_CHECK_SHAPE(y_pred.dim() >= 2, name(), ": predictions must have a class axis, got shape ", y_pred.shape().str());
  const int64_t c = y_pred.shape().back();
  Tensor pred2 = reshape(y_pred, Shape{-1, c});
  Tensor l = y_true.detach().to(i64).contiguous();
  NABLA_CHECK_SHAPE(l.numel() == pred2.size(0), name(), ": labels of shape ", y_true.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str());
  Tensor oh = Tensor::zeros(pred2.shape(), y_pred.dtype());
  const int64_t* lp = l.data<int64_t>();
  NABLA_DISPATCH_FLOAT(oh.dtype(), T, {
    T* o = oh.data<T>();
    for (int64_t i = 0; i < l.numel(); ++i) {
      NABLA_CHECK(lp[i] >= 0 && lp[i] < c, name(), ": label at index ", i, " is ", lp[i], ", outside [0, ", c, ")");
      o[i * c + lp[i]] = T(1);
    }
  });
  Tensor f = focal(oh, pred2);
  return reshape(f, Shape(y_pred.shape().begin(), y_pred.shape().end() - 1));
}

Tensor SparseCategoricalFocalCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

}  // namespace nabla::losses
