#include "nabla/train/losses.h"

#include "nabla/ops/activations.h"
#include "nabla/ops/cross_entropy.h"
#include "nabla/ops/fused_logits.h"
#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/losses_focal.h"

namespace nabla::losses {
namespace {

constexpr double kEpsilon = 1e-7;  // Keras's backend epsilon, used to clip probabilities

Tensor one_hot(const Tensor& labels, int64_t classes, DType dt) {
  Tensor l = labels.to(i64).contiguous();
  Tensor oh = Tensor::zeros(Shape{l.numel(), classes}, dt);
  const int64_t* lp = l.data<int64_t>();
  NABLA_DISPATCH_FLOAT(dt, T, {
    T* o = oh.data<T>();
    for (int64_t i = 0; i < l.numel(); ++i) {
      if (lp[i] < 0 || lp[i] >= classes)
        throw ValueError(detail::concat("label at index ", i, " is ", lp[i], ", outside the valid range [0, ",
                                        classes, ") for a model with ", classes, " outputs"));
      o[i * classes + lp[i]] = T(1);
    }
  });
  return oh;
}

}  // namespace

Tensor mean_per_sample(const Tensor& x) {
  if (x.dim() <= 1) return x;
  std::vector<int> axes;
  for (int i = 1; i < x.dim(); ++i) axes.push_back(i);
  return mean(x, axes);
}

Tensor align_targets(const Tensor& y_true, const Tensor& y_pred, const std::string& loss_name) {
  if (y_true.shape() == y_pred.shape()) return y_true;
  if (y_true.numel() == y_pred.numel()) return reshape(y_true, y_pred.shape());
  throw ShapeError(detail::concat(loss_name, ": targets of shape ", y_true.shape().str(),
                                  " do not match predictions of shape ", y_pred.shape().str()));
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  const int64_t rows = y_pred.dim() ? y_pred.size(0) : 1;
  if (sample_weight.defined() && sample_weight.numel() != rows) {
    // Per-element weights (e.g. per pixel): weight the unreduced losses, then average each sample's elements.
    Tensor e = per_element(y_true, y_pred);
    NABLA_CHECK_SHAPE(sample_weight.numel() == e.numel(), name(), ": sample_weight of shape ",
                      sample_weight.shape().str(), " matches neither the ", rows, " samples nor the loss's ",
                      e.shape().str(), " elements");
    Tensor l = mean_per_sample(e * reshape(sample_weight.to(e.dtype()), e.shape()));
    return sum(l) * (1.0 / double(std::max<int64_t>(l.numel(), 1)));
  }
  Tensor l = per_sample(y_true, y_pred);
  int64_t n = l.numel();
  if (sample_weight.defined()) {
    NABLA_CHECK_SHAPE(sample_weight.numel() == n, name(), ": sample_weight of shape ", sample_weight.shape().str(),
                      " does not match ", n, " samples");
    l = l * reshape(sample_weight.to(l.dtype()), l.shape());
  }
  return sum(l) * (1.0 / double(std::max<int64_t>(n, 1)));
}

Tensor SparseCategoricalCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

Tensor SparseCategoricalCrossentropy::per_element(const Tensor& y_true, const Tensor& y_pred) const {
  NABLA_CHECK_SHAPE(y_pred.dim() >= 2, name(), ": predictions must have a class axis, got shape ", y_pred.shape().str());
  Tensor pred2 = y_pred.dim() == 2 ? y_pred : reshape(y_pred, Shape{-1, y_pred.shape().back()});
  NABLA_CHECK_SHAPE(y_true.numel() == pred2.size(0), name(), ": labels of shape ", y_true.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str(), " (expected ", pred2.size(0),
                    " labels)");
  Tensor loss;
  if (from_logits_) {
    loss = sparse_softmax_cross_entropy(pred2, y_true);
  } else if (Tensor lg = logits_behind(y_pred, LogitsOf::softmax); lg.defined() && y_pred.dim() == 2) {
    loss = sparse_softmax_cross_entropy(lg, y_true);
  } else {
    Tensor oh = one_hot(y_true, pred2.size(1), pred2.dtype());
    loss = neg(sum(oh * log(clip(pred2, kEpsilon, 1 - kEpsilon)), {1}));
  }
  if (y_pred.dim() > 2) {  // dense targets (e.g. per-pixel labels): [N, H, W]
    Shape s(y_pred.shape().begin(), y_pred.shape().end() - 1);
    loss = reshape(loss, s);
  }
  return loss;
}

Tensor CategoricalCrossentropy::per_sample(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  if (label_smoothing_ > 0) {
    double k = double(y_pred.shape().back());
    y_true = y_true * (1 - label_smoothing_) + label_smoothing_ / k;
  }
  if (from_logits_) return softmax_cross_entropy(y_pred, y_true);
  if (Tensor lg = logits_behind(y_pred, LogitsOf::softmax); lg.defined() && y_pred.dim() == 2)
    return softmax_cross_entropy(lg, y_true);
  // Keras: normalise the probabilities, clip, then -sum(y log p).
  Tensor p = y_pred / sum(y_pred, {-1}, true);
  return neg(sum(y_true * log(clip(p, kEpsilon, 1 - kEpsilon)), {-1}));
}

Tensor BinaryCrossentropy::per_sample(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  if (label_smoothing_ > 0) y_true = y_true * (1 - label_smoothing_) + 0.5 * label_smoothing_;
  if (from_logits_) return sigmoid_cross_entropy(y_pred, y_true);
  if (Tensor lg = logits_behind(y_pred, LogitsOf::sigmoid); lg.defined())
    return sigmoid_cross_entropy(lg, y_true);
  Tensor p = clip(y_pred, kEpsilon, 1 - kEpsilon);
  Tensor bce = neg(y_true * log(p + kEpsilon) + (1.0 - y_true) * log((1.0 - p) + kEpsilon));
  return mean_per_sample(bce.dim() == 1 ? reshape(bce, Shape{-1, 1}) : bce);
}

Tensor MeanSquaredError::per_sample(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  Tensor d = square(y_pred - y_true);
  return mean_per_sample(d.dim() == 1 ? reshape(d, Shape{-1, 1}) : d);
}

Tensor MeanAbsoluteError::per_sample(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  Tensor d = abs(y_pred - y_true);
  return mean_per_sample(d.dim() == 1 ? reshape(d, Shape{-1, 1}) : d);
}

Tensor Huber::per_sample(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  Tensor err = abs(y_pred - y_true);
  // 0.5 e^2 where e <= delta, else delta (e - 0.5 delta) == 0.5 q^2 + delta (e - q) with q = min(e, delta).
  Tensor q = clip(err, 0, delta_);
  Tensor h = square(q) * 0.5 + (err - q) * delta_;
  return mean_per_sample(h.dim() == 1 ? reshape(h, Shape{-1, 1}) : h);
}

LossPtr get(const std::string& n) {
  if (n == "sparse_categorical_crossentropy") return std::make_shared<SparseCategoricalCrossentropy>();
  if (n == "categorical_crossentropy") return std::make_shared<CategoricalCrossentropy>();
  if (n == "binary_crossentropy") return std::make_shared<BinaryCrossentropy>();
  if (n == "mse" || n == "mean_squared_error") return std::make_shared<MeanSquaredError>();
  if (n == "mae" || n == "mean_absolute_error") return std::make_shared<MeanAbsoluteError>();
  if (n == "huber" || n == "huber_loss") return std::make_shared<Huber>();
  if (n == "binary_focal_crossentropy") return std::make_shared<BinaryFocalCrossentropy>();
  if (n == "categorical_focal_crossentropy") return std::make_shared<CategoricalFocalCrossentropy>();
  if (n == "sparse_categorical_focal_crossentropy") return std::make_shared<SparseCategoricalFocalCrossentropy>();
  throw ValueError("unknown loss '" + n +
                   "' (known: sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, "
                   "mean_squared_error, mean_absolute_error, huber, binary_focal_crossentropy, categorical_focal_crossentropy, "
                   "sparse_categorical_focal_crossentropy)");
}

}  // namespace nabla::losses
