#include "nabla/train/losses.h"

#include "nabla/nn/masking.h"
#include "nabla/ops/activations.h"
#include "nabla/ops/cross_entropy.h"
#include "nabla/ops/fused_logits.h"
#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/losses_focal.h"
#include "nabla/train/sample_weight.h"

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

void check_reduction(const std::string& r) {
  if (r == "sum_over_batch_size" || r == "mean" || r == "sum" || r == "none" || r == "mean_with_sample_weight")
    return;
  throw ValueError("invalid loss reduction '" + r +
                   "' (expected one of: sum_over_batch_size, sum, mean, mean_with_sample_weight, none)");
}

Loss::Loss(std::string name, std::string reduction) : name_(std::move(name)), reduction_(std::move(reduction)) {
  check_reduction(reduction_);
}

void Loss::set_reduction(const std::string& r) {
  check_reduction(r);
  reduction_ = r;
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight,
                        const Tensor& y_pred_mask) const {
  Tensor v = per_element(y_true, y_pred);
  const bool averaging = reduction_ == "sum_over_batch_size" || reduction_ == "mean";
  // Keras's apply_mask: masked-out elements weigh 0; for an average the others weigh total/valid, so that the
  // division by the number of values makes it the mean over the valid ones.
  Tensor w;
  Tensor m = mask(y_true, y_pred);
  if (y_pred_mask.defined()) {
    NABLA_CHECK_SHAPE(y_pred_mask.numel() == v.numel(), name(), ": the predictions' mask of shape ",
                      y_pred_mask.shape().str(), " does not match the loss values of shape ", v.shape().str(),
                      " (predictions ", y_pred.shape().str(), ")");
    Tensor pm = reshape(nn::mask_as(y_pred_mask, v.dtype()), v.shape());
    m = m.defined() ? reshape(m.detach().to(v.dtype()), v.shape()) * pm : pm;  // Keras: in_mask & out_mask
  }
  if (m.defined()) {
    w = m.detach().to(v.dtype());
    if (averaging) {
      double valid = sum(w).item();
      w = w * (valid > 0 ? double(w.numel()) / valid : 0.0);
    }
  }
  if (sample_weight.defined()) {
    WeightedValues b = broadcast_sample_weight(v, sample_weight, name());
    v = b.values;
    w = w.defined() ? reshape(w, v.shape()) * b.weights : b.weights;
  } else if (w.defined()) {
    w = reshape(w, v.shape());
  }
  if (w.defined()) v = v * w;
  if (reduction_ == "none" || v.dim() == 0) return v;
  Tensor total = sum(v);
  if (reduction_ == "sum") return total;
  double divisor = double(v.numel());
  if (reduction_ == "mean_with_sample_weight" && w.defined()) divisor = sum(w).item();
  return total * (divisor != 0 ? 1.0 / divisor : 0.0);  // Keras's divide_no_nan
}

Tensor SparseCategoricalCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

namespace {
// Labels as float64 with those equal to ignore_class replaced by 0 (so that they index a valid class), and the
// 0/1 mask of the others; both flattened to one entry per prediction row.
struct MaskedLabels {
  Tensor labels, valid;
};
MaskedLabels mask_labels(const Tensor& y_true, int64_t ignore, DType dt) {
  Tensor l = y_true.detach().to(f64).contiguous();
  Tensor lab = make_tensor(Shape{l.numel()}, f64);
  Tensor valid = make_tensor(Shape{l.numel()}, f64);
  const double* lp = l.data<double>();
  double* o = lab.data<double>();
  double* v = valid.data<double>();
  for (int64_t i = 0; i < l.numel(); ++i) {
    bool keep = lp[i] != double(ignore);
    o[i] = keep ? lp[i] : 0.0;
    v[i] = keep ? 1.0 : 0.0;
  }
  return {lab, valid.to(dt)};
}
}  // namespace

Tensor SparseCategoricalCrossentropy::mask(const Tensor& y_true, const Tensor& y_pred) const {
  if (!ignore_class_) return Tensor();
  return mask_labels(y_true, *ignore_class_, y_pred.dtype()).valid;
}

Tensor SparseCategoricalCrossentropy::per_element(const Tensor& y_true0, const Tensor& y_pred) const {
  NABLA_CHECK_SHAPE(y_pred.dim() >= 2, name(), ": predictions must have a class axis, got shape ", y_pred.shape().str());
  Tensor pred2 = y_pred.dim() == 2 ? y_pred : reshape(y_pred, Shape{-1, y_pred.shape().back()});
  NABLA_CHECK_SHAPE(y_true0.numel() == pred2.size(0), name(), ": labels of shape ", y_true0.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str(), " (expected ", pred2.size(0),
                    " labels)");
  Tensor y_true = y_true0, valid;
  if (ignore_class_) {
    MaskedLabels ml = mask_labels(y_true0, *ignore_class_, pred2.dtype());
    y_true = ml.labels;
    valid = ml.valid;
  }
  Tensor loss;
  if (from_logits_) {
    loss = sparse_softmax_cross_entropy(pred2, y_true);
  } else if (Tensor lg = logits_behind(y_pred, LogitsOf::softmax); lg.defined() && y_pred.dim() == 2) {
    loss = sparse_softmax_cross_entropy(lg, y_true);
  } else {
    // Keras: renormalise each row to sum 1, clip to [eps, 1 - eps], then -log p[label].
    Tensor oh = one_hot(y_true, pred2.size(1), pred2.dtype());
    Tensor p = pred2 / sum(pred2, {1}, true);
    loss = neg(sum(oh * log(clip(p, kEpsilon, 1 - kEpsilon)), {1}));
  }
  if (valid.defined()) loss = loss * valid;  // ignored labels contribute 0 (Keras's where(valid, res, 0))
  if (y_pred.dim() > 2) {  // dense targets (e.g. per-pixel labels): [N, H, W]
    Shape s(y_pred.shape().begin(), y_pred.shape().end() - 1);
    loss = reshape(loss, s);
  }
  return loss;
}

Tensor CategoricalCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

Tensor CategoricalCrossentropy::per_element(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  if (label_smoothing_ > 0) {
    double k = double(y_pred.shape().back());
    y_true = y_true * (1 - label_smoothing_) + label_smoothing_ / k;
  }
  NABLA_CHECK_SHAPE(y_pred.dim() >= 1, name(), ": predictions must have a class axis, got a scalar");
  const int64_t c = y_pred.shape().back();
  Shape lead(y_pred.shape().begin(), y_pred.shape().end() - 1);
  auto rows = [&](const Tensor& t) { return t.dim() == 2 ? t : reshape(t, Shape{-1, c}); };
  auto back = [&](const Tensor& l) { return y_pred.dim() == 2 ? l : reshape(l, lead); };
  if (from_logits_) return back(softmax_cross_entropy(rows(y_pred), rows(y_true)));
  if (Tensor lg = logits_behind(y_pred, LogitsOf::softmax); lg.defined())
    return back(softmax_cross_entropy(rows(lg), rows(y_true)));
  // Keras: normalise the probabilities, clip, then -sum(y log p).
  Tensor p = y_pred / sum(y_pred, {-1}, true);
  return neg(sum(y_true * log(clip(p, kEpsilon, 1 - kEpsilon)), {-1}));
}

namespace {
// The mean over the last axis (Keras's axis=-1); rank-1 values are one per sample already.
Tensor mean_last(const Tensor& x) { return x.dim() <= 1 ? x : mean(x, {-1}); }
}  // namespace

Tensor BinaryCrossentropy::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

Tensor BinaryCrossentropy::per_element(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  if (label_smoothing_ > 0) y_true = y_true * (1 - label_smoothing_) + 0.5 * label_smoothing_;
  Tensor lg = from_logits_ ? y_pred : logits_behind(y_pred, LogitsOf::sigmoid);
  if (lg.defined()) {  // the stable form on logits (Keras's TensorFlow/JAX/PyTorch backends)
    if (y_pred.dim() <= 1) return sigmoid_cross_entropy(reshape(lg, Shape{-1, 1}), reshape(y_true, Shape{-1, 1}));
    const int64_t k = y_pred.shape().back();
    Tensor l = sigmoid_cross_entropy(reshape(lg, Shape{-1, k}), reshape(y_true, Shape{-1, k}));
    return reshape(l, Shape(y_pred.shape().begin(), y_pred.shape().end() - 1));
  }
  // Keras 3 on probabilities: clip to [eps, 1 - eps], then -(y log p + (1 - y) log(1 - p)).
  Tensor p = clip(y_pred, kEpsilon, 1 - kEpsilon);
  return mean_last(neg(y_true * log(p) + (1.0 - y_true) * log(1.0 - p)));
}

Tensor MeanSquaredError::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

Tensor MeanSquaredError::per_element(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  return mean_last(square(y_pred - y_true));
}

Tensor MeanAbsoluteError::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

Tensor MeanAbsoluteError::per_element(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  return mean_last(abs(y_pred - y_true));
}

Tensor Huber::per_sample(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_per_sample(per_element(y_true, y_pred));
}

Tensor Huber::per_element(const Tensor& y_true0, const Tensor& y_pred) const {
  Tensor y_true = align_targets(y_true0, y_pred, name()).to(y_pred.dtype());
  Tensor err = abs(y_pred - y_true);
  // 0.5 e^2 where e <= delta, else delta (e - 0.5 delta) == 0.5 q^2 + delta (e - q) with q = min(e, delta).
  Tensor q = clip(err, 0, delta_);
  return mean_last(square(q) * 0.5 + (err - q) * delta_);
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
