#include "nabla/ops/cross_entropy.h"

#include <cmath>

#include "nabla/autograd/node.h"
#include "nabla/kernels/softmax.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

Tensor sparse_softmax_cross_entropy(const Tensor& logits0, const Tensor& labels0) {
  NABLA_CHECK_SHAPE(logits0.dim() == 2, "sparse crossentropy expects logits of shape (batch, classes), got ",
                    logits0.shape().str());
  int64_t n = logits0.size(0), c = logits0.size(1);
  NABLA_CHECK_SHAPE(labels0.numel() == n, "sparse crossentropy: labels of shape ", labels0.shape().str(),
                    " do not match predictions of shape ", logits0.shape().str());
  Tensor logits = logits0.contiguous();
  Tensor labels = labels0.to(i64).contiguous();
  const int64_t* lp = labels.data<int64_t>();
  if (is_floating(labels0.dtype())) {  // float labels must hold integers
    Tensor lf = labels0.to(f64).contiguous();
    const double* fp = lf.data<double>();
    for (int64_t i = 0; i < n; ++i)
      NABLA_CHECK(fp[i] == std::floor(fp[i]), "label at index ", i, " is ", fp[i], ", not a class index");
  }
  for (int64_t i = 0; i < n; ++i)
    if (lp[i] < 0 || lp[i] >= c)
      throw ValueError(detail::concat("label at index ", i, " is ", lp[i], ", outside the valid range [0, ", c,
                                      ") for a model with ", c, " outputs"));
  Tensor probs = make_tensor(logits.shape(), logits.dtype());  // kept for backward
  Tensor loss = make_tensor(Shape{n}, logits.dtype());
  kernels::softmax_rows(logits, probs, false, &loss);  // loss = log-sum-exp per row ...
  NABLA_DISPATCH_FLOAT(logits.dtype(), T, {
    const T* x = logits.data<T>();
    T* lo = loss.data<T>();
    for (int64_t i = 0; i < n; ++i) lo[i] -= x[i * c + lp[i]];  // ... minus the label's logit
  });
  return record(loss, "sparse_softmax_cross_entropy", {&logits0}, [&] {
    return [probs, labels](const Tensor& g0, GradList& gi) {
      Tensor g = g0.contiguous();
      int64_t n = probs.size(0), c = probs.size(1);
      Tensor d = make_tensor(probs.shape(), probs.dtype());
      const int64_t* lp = labels.data<int64_t>();
      NABLA_DISPATCH_FLOAT(probs.dtype(), T, {
        const T* p = probs.data<T>();
        const T* gp = g.data<T>();
        T* dp = d.data<T>();
        for (int64_t i = 0; i < n; ++i) {
          for (int64_t j = 0; j < c; ++j) dp[i * c + j] = gp[i] * p[i * c + j];
          dp[i * c + lp[i]] -= gp[i];
        }
      });
      gi[0] = d;
    };
  });
}

Tensor softmax_cross_entropy(const Tensor& logits0, const Tensor& targets0) {
  NABLA_CHECK_SHAPE(logits0.dim() == 2 && targets0.shape() == logits0.shape(), "categorical crossentropy: targets of shape ",
                    targets0.shape().str(), " do not match predictions of shape ", logits0.shape().str());
  Tensor logits = logits0.contiguous();
  Tensor targets = targets0.to(logits.dtype()).contiguous();
  int64_t n = logits.size(0), c = logits.size(1);
  Tensor loss = make_tensor(Shape{n}, logits.dtype());
  Tensor probs = make_tensor(logits.shape(), logits.dtype());
  Tensor lse = make_tensor(Shape{n}, logits.dtype());
  Tensor tsum = make_tensor(Shape{n}, logits.dtype());
  kernels::softmax_rows(logits, probs, false, &lse);
  NABLA_DISPATCH_FLOAT(logits.dtype(), T, {
    const T* x = logits.data<T>();
    const T* t = targets.data<T>();
    const T* ls = lse.data<T>();
    T* lo = loss.data<T>();
    T* ts = tsum.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      T l = 0, tt = 0;
      for (int64_t j = 0; j < c; ++j) {
        l += t[i * c + j] * (ls[i] - x[i * c + j]);
        tt += t[i * c + j];
      }
      lo[i] = l;
      ts[i] = tt;
    }
  });
  return record(loss, "softmax_cross_entropy", {&logits0, &targets0}, [&] {
    return [probs, targets, tsum, gt = targets0.requires_grad()](const Tensor& g0, GradList& gi) {
      Tensor g = g0.contiguous();
      int64_t n = probs.size(0), c = probs.size(1);
      Tensor d = make_tensor(probs.shape(), probs.dtype());
      NABLA_DISPATCH_FLOAT(probs.dtype(), T, {
        const T* p = probs.data<T>();
        const T* t = targets.data<T>();
        const T* gp = g.data<T>();
        const T* ts = tsum.data<T>();
        T* dp = d.data<T>();
        // d/dx_j = p_j * sum(t) - t_j (targets need not sum to 1).
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < c; ++j) dp[i * c + j] = gp[i] * (p[i * c + j] * ts[i] - t[i * c + j]);
      });
      gi[0] = d;
      if (gt) {  // d/dt_j = lse - x_j = -log p_j
        Tensor dt = make_tensor(probs.shape(), probs.dtype());
        NABLA_DISPATCH_FLOAT(probs.dtype(), T, {
          const T* p = probs.data<T>();
          const T* gp = g.data<T>();
          T* o = dt.data<T>();
          for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < c; ++j) o[i * c + j] = -gp[i] * std::log(p[i * c + j]);
        });
        gi[1] = dt;
      }
    };
  });
}

Tensor sigmoid_cross_entropy(const Tensor& logits0, const Tensor& targets0) {
  NABLA_CHECK_SHAPE(targets0.numel() == logits0.numel() && logits0.dim() >= 1,
                    "binary crossentropy: targets of shape ", targets0.shape().str(),
                    " do not match predictions of shape ", logits0.shape().str());
  Tensor x = logits0.contiguous();
  Tensor t = targets0.to(x.dtype()).contiguous();
  int64_t n = x.size(0), per = n ? x.numel() / n : 0;
  Tensor loss = make_tensor(Shape{n}, x.dtype());
  NABLA_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data<T>();
    const T* tp = t.data<T>();
    T* lo = loss.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      T acc = 0;
      for (int64_t j = 0; j < per; ++j) {
        T v = xp[i * per + j], y = tp[i * per + j];
        // max(v,0) - v*y + log(1 + exp(-|v|)): never overflows.
        acc += (v > 0 ? v : T(0)) - v * y + std::log1p(std::exp(-std::abs(v)));
      }
      lo[i] = acc / T(per);
    }
  });
  return record(loss, "sigmoid_cross_entropy", {&logits0, &targets0}, [&] {
    return [x, t, per, gt = targets0.requires_grad(), tdt = targets0.dtype(), tshape = targets0.shape()](const Tensor& g0, GradList& gi) {
      Tensor g = g0.contiguous();
      Tensor d = make_tensor(x.shape(), x.dtype());
      NABLA_DISPATCH_FLOAT(x.dtype(), T, {
        const T* xp = x.data<T>();
        const T* tp = t.data<T>();
        const T* gp = g.data<T>();
        T* dp = d.data<T>();
        for (int64_t i = 0; i < x.numel(); ++i) {
          T v = xp[i];
          T s = v >= 0 ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
          dp[i] = gp[i / per] * (s - tp[i]) / T(per);
        }
      });
      gi[0] = d;
      if (gt) {  // d/dt = -x / per
        Tensor dt = make_tensor(x.shape(), x.dtype());
        NABLA_DISPATCH_FLOAT(x.dtype(), T, {
          const T* xp = x.data<T>();
          const T* gp = g.data<T>();
          T* o = dt.data<T>();
          for (int64_t i = 0; i < x.numel(); ++i) o[i] = -gp[i / per] * xp[i] / T(per);
        });
        gi[1] = make_view(dt, tshape, contiguous_strides(tshape), dt.offset()).to(tdt);
      }
    };
  });
}

}  // namespace nabla
