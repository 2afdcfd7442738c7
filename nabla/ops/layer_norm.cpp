#include "nabla/ops/layer_norm.h"

#include <cmath>
#include <mutex>
#include <vector>

#include "nabla/autograd/node.h"
#include "nabla/core/parallel.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

void check_param(const Tensor& t, int64_t n, DType dt, const char* what, const Shape& xs) {
  if (!t.defined()) return;
  NABLA_CHECK_SHAPE(t.numel() == n, "layer_norm: ", what, " of shape ", t.shape().str(), " does not match the ",
                    n, " normalized elements of each row of the input of shape ", xs.str());
  NABLA_CHECK(t.dtype() == dt, "layer_norm: ", what, " has dtype ", dtype_name(t.dtype()), ", input has ",
              dtype_name(dt));
}

}  // namespace

Tensor layer_norm(const Tensor& x0, const Tensor& gamma, const Tensor& beta, int64_t n, double epsilon) {
  NABLA_CHECK(is_floating(x0.dtype()), "layer_norm: expects a floating input, got ", dtype_name(x0.dtype()));
  NABLA_CHECK_SHAPE(n > 0 && x0.numel() % n == 0, "layer_norm: the input of shape ", x0.shape().str(),
                    " does not split into rows of ", n, " elements");
  check_param(gamma, n, x0.dtype(), "gamma", x0.shape());
  check_param(beta, n, x0.dtype(), "beta", x0.shape());
  const int64_t rows = x0.numel() / n;
  Tensor x = x0.contiguous();
  Tensor y = make_tensor(x.shape(), x.dtype());
  // Per row: mean and 1/sqrt(var + eps), kept for backward (float64: a row of 1e3 float32 values keeps its
  // digits, and the rows are few next to the elements).
  Tensor stats = make_tensor(Shape{rows, 2}, f64);
  NABLA_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data<T>();
    Tensor gc = gamma.defined() ? gamma.contiguous() : Tensor(), bc = beta.defined() ? beta.contiguous() : Tensor();
    const T* gp = gc.defined() ? gc.data<T>() : nullptr;
    const T* bp = bc.defined() ? bc.data<T>() : nullptr;
    T* yp = y.data<T>();
    double* st = stats.data<double>();
    parallel_for(0, rows, n * 4, [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) {
        const T* xr = xp + r * n;
        double sum = 0;
        for (int64_t j = 0; j < n; ++j) sum += double(xr[j]);
        const double mean = sum / double(n);
        double sq = 0;  // two passes: no cancellation for rows with a large mean
        for (int64_t j = 0; j < n; ++j) {
          double d = double(xr[j]) - mean;
          sq += d * d;
        }
        const double rstd = 1.0 / std::sqrt(sq / double(n) + epsilon);
        st[2 * r] = mean;
        st[2 * r + 1] = rstd;
        const T m = T(mean), is = T(rstd);
        T* yr = yp + r * n;
        for (int64_t j = 0; j < n; ++j) {
          T v = (xr[j] - m) * is;
          if (gp) v *= gp[j];
          if (bp) v += bp[j];
          yr[j] = v;
        }
      }
    });
  });

  return record(y, "layer_norm", {&x0, &gamma, &beta}, [&] {
    return [x, stats, gamma = gamma.defined() ? gamma.detach().contiguous() : Tensor(), n,
            gx = x0.requires_grad(), gg = gamma.defined() && gamma.requires_grad(),
            gb = beta.defined() && beta.requires_grad(), gshape = gamma.defined() ? gamma.shape() : Shape(),
            bshape = beta.defined() ? beta.shape() : Shape()](const Tensor& g0, GradList& gi) {
      Tensor gy = g0.contiguous();
      const int64_t rows = x.numel() / n;
      const double* st = stats.data<double>();
      NABLA_DISPATCH_FLOAT(x.dtype(), T, {
        const T* xp = x.data<T>();
        const T* dyp = gy.data<T>();
        const T* gp = gamma.defined() ? gamma.data<T>() : nullptr;
        if (gx) {
          // With h = dy * gamma and xhat = (x - mean) * rstd:
          // dx = rstd * (h - mean(h) - xhat * mean(h * xhat)).
          gi[0] = make_tensor(x.shape(), x.dtype());
          T* op = gi[0].data<T>();
          parallel_for(0, rows, n * 6, [&](int64_t s, int64_t e) {
            for (int64_t r = s; r < e; ++r) {
              const T* xr = xp + r * n;
              const T* dr = dyp + r * n;
              const T m = T(st[2 * r]), is = T(st[2 * r + 1]);
              double sh = 0, shx = 0;
              for (int64_t j = 0; j < n; ++j) {
                T h = gp ? dr[j] * gp[j] : dr[j];
                sh += double(h);
                shx += double(h) * double((xr[j] - m) * is);
              }
              const T a = T(sh / double(n)), b = T(shx / double(n));
              T* o = op + r * n;
              for (int64_t j = 0; j < n; ++j) {
                T h = gp ? dr[j] * gp[j] : dr[j];
                o[j] = is * (h - a - (xr[j] - m) * is * b);
              }
            }
          });
        }
        if (gg || gb) {
          // dgamma = sum over rows of dy * xhat, dbeta = sum of dy; threads sum their rows, then combine.
          std::vector<double> dg(size_t(n), 0.0), db(size_t(n), 0.0);
          std::mutex mu;
          parallel_for(0, rows, n * 3, [&](int64_t s, int64_t e) {
            std::vector<double> pg(size_t(n), 0.0), pb(size_t(n), 0.0);
            for (int64_t r = s; r < e; ++r) {
              const T* xr = xp + r * n;
              const T* dr = dyp + r * n;
              const double m = st[2 * r], is = st[2 * r + 1];
              for (int64_t j = 0; j < n; ++j) {
                pg[size_t(j)] += double(dr[j]) * (double(xr[j]) - m) * is;
                pb[size_t(j)] += double(dr[j]);
              }
            }
            std::lock_guard<std::mutex> lock(mu);
            for (size_t j = 0; j < size_t(n); ++j) {
              dg[j] += pg[j];
              db[j] += pb[j];
            }
          });
          auto out = [&](const std::vector<double>& v, const Shape& shape) {
            Tensor t = make_tensor(shape, x.dtype());
            for (int64_t j = 0; j < n; ++j) t.data<T>()[j] = T(v[size_t(j)]);
            return t;
          };
          if (gg) gi[1] = out(dg, gshape);
          if (gb) gi[2] = out(db, bshape);
        }
      });
    };
  });
}

}  // namespace nabla
