#include "nabla/ops/batch_norm.h"

#include <cmath>
#include <mutex>
#include <vector>

#include "nabla/autograd/node.h"
#include "nabla/core/parallel.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

// Per-channel sums over the rows of a [rows, c] array: acc[j] += sum_r f(r, j). Rows are split across threads,
// each summing into its own doubles (the channel loop vectorizes), then combined.
template <class F>
std::vector<double> channel_sums(int64_t rows, int64_t c, int n_sums, F f) {
  std::vector<double> total(size_t(c * n_sums), 0.0);
  std::mutex mu;
  parallel_for(0, rows, c * 3, [&](int64_t s, int64_t e) {
    std::vector<double> part(size_t(c * n_sums), 0.0);
    for (int64_t r = s; r < e; ++r) f(r, part.data());
    std::lock_guard<std::mutex> lock(mu);
    for (size_t j = 0; j < part.size(); ++j) total[j] += part[j];
  });
  return total;
}

template <class T>
std::vector<double> to_doubles(const Tensor& t, int64_t c, double fallback) {
  std::vector<double> r(size_t(c), fallback);
  if (!t.defined()) return r;
  Tensor tc = t.contiguous();
  const T* p = tc.data<T>();
  for (int64_t j = 0; j < c; ++j) r[size_t(j)] = double(p[j]);
  return r;
}

// y = x * scale + shift per channel.
template <class T>
void affine(const T* xp, T* yp, int64_t rows, int64_t c, const std::vector<double>& scale,
            const std::vector<double>& shift) {
  std::vector<T> sc(scale.begin(), scale.end()), sh(shift.begin(), shift.end());
  parallel_for(0, rows, c * 2, [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r)
      for (int64_t j = 0; j < c; ++j) yp[r * c + j] = xp[r * c + j] * sc[size_t(j)] + sh[size_t(j)];
  });
}

void check_vector(const Tensor& t, int64_t c, DType dt, const char* what, const Shape& xs) {
  if (!t.defined()) return;
  NABLA_CHECK_SHAPE(t.dim() == 1 && t.size(0) == c, "batch_norm: ", what, " of shape ", t.shape().str(),
                    " does not match input of shape ", xs.str(), " (expected (", c, ",))");
  NABLA_CHECK(t.dtype() == dt, "batch_norm: ", what, " has dtype ", dtype_name(t.dtype()), ", input has ",
              dtype_name(dt));
}

}  // namespace

Tensor batch_norm(const Tensor& x0, const Tensor& gamma, const Tensor& beta, const Tensor& moving_mean,
                  const Tensor& moving_variance, const BatchNormArgs& args) {
  NABLA_CHECK_SHAPE(x0.dim() >= 1, "batch_norm: expects an input with a channel axis, got a scalar");
  NABLA_CHECK(is_floating(x0.dtype()), "batch_norm: expects a floating input, got ", dtype_name(x0.dtype()));
  int64_t c = x0.shape().back(), rows = c ? x0.numel() / c : 0;
  check_vector(gamma, c, x0.dtype(), "gamma", x0.shape());
  check_vector(beta, c, x0.dtype(), "beta", x0.shape());
  NABLA_CHECK(moving_mean.defined() && moving_variance.defined(), "batch_norm: moving statistics are required");
  check_vector(moving_mean, c, x0.dtype(), "moving_mean", x0.shape());
  check_vector(moving_variance, c, x0.dtype(), "moving_variance", x0.shape());
  NABLA_CHECK(moving_mean.is_contiguous() && moving_variance.is_contiguous(),
              "batch_norm: moving statistics must be contiguous (they are updated in place)");
  NABLA_CHECK(!args.training || rows > 0, "batch_norm: training on an empty batch of shape ", x0.shape().str());

  Tensor x = x0.contiguous();
  Tensor y = make_tensor(x.shape(), x.dtype());
  // mean / inverse standard deviation used for this batch, per channel.
  std::vector<double> mean, invstd, g;
  NABLA_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data<T>();
    g = to_doubles<T>(gamma, c, 1.0);
    std::vector<double> b = to_doubles<T>(beta, c, 0.0);
    if (args.training) {
      mean = channel_sums(rows, c, 1, [&](int64_t r, double* acc) {
        for (int64_t j = 0; j < c; ++j) acc[j] += double(xp[r * c + j]);
      });
      for (double& m : mean) m /= double(rows);
      std::vector<double> var = channel_sums(rows, c, 1, [&](int64_t r, double* acc) {
        for (int64_t j = 0; j < c; ++j) {
          double d = double(xp[r * c + j]) - mean[size_t(j)];
          acc[j] += d * d;
        }
      });
      T* mm = moving_mean.data<T>();
      T* mv = moving_variance.data<T>();
      invstd.resize(static_cast<size_t>(c));
      for (int64_t j = 0; j < c; ++j) {
        var[size_t(j)] /= double(rows);
        invstd[size_t(j)] = 1.0 / std::sqrt(var[size_t(j)] + args.epsilon);
        mm[j] = T(double(mm[j]) * args.momentum + mean[size_t(j)] * (1 - args.momentum));
        mv[j] = T(double(mv[j]) * args.momentum + var[size_t(j)] * (1 - args.momentum));
      }
    } else {
      mean = to_doubles<T>(moving_mean, c, 0.0);
      invstd = to_doubles<T>(moving_variance, c, 1.0);
      for (double& v : invstd) v = 1.0 / std::sqrt(v + args.epsilon);
    }
    std::vector<double> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
    for (size_t j = 0; j < size_t(c); ++j) {
      scale[j] = g[j] * invstd[j];
      shift[j] = b[j] - mean[j] * scale[j];
    }
    affine<T>(xp, y.data<T>(), rows, c, scale, shift);
  });

  return record(y, "batch_norm", {&x0, &gamma, &beta}, [&] {
    return [x, mean, invstd, g, training = args.training, gx = x0.requires_grad(),
            gg = gamma.defined() && gamma.requires_grad(),
            gb = beta.defined() && beta.requires_grad()](const Tensor& g0, GradList& gi) {
      Tensor gy = g0.contiguous();
      int64_t c = x.shape().back(), rows = x.numel() / c;
      NABLA_DISPATCH_FLOAT(x.dtype(), T, {
        const T* xp = x.data<T>();
        const T* gp = gy.data<T>();
        // sums[j] = sum dy, sums[c + j] = sum dy * xhat.
        std::vector<double> sums = channel_sums(rows, c, 2, [&](int64_t r, double* acc) {
          for (int64_t j = 0; j < c; ++j) {
            double d = double(gp[r * c + j]);
            acc[j] += d;
            acc[c + j] += d * (double(xp[r * c + j]) - mean[size_t(j)]) * invstd[size_t(j)];
          }
        });
        auto vec = [&](int64_t off) {
          Tensor t = make_tensor(Shape{c}, x.dtype());
          for (int64_t j = 0; j < c; ++j) t.data<T>()[j] = T(sums[size_t(off + j)]);
          return t;
        };
        if (gb) gi[2] = vec(0);
        if (gg) gi[1] = vec(c);
        if (gx) {
          gi[0] = make_tensor(x.shape(), x.dtype());
          T* op = gi[0].data<T>();
          // Inference: dx = dy * gamma * invstd. Training also differentiates through the batch statistics:
          // dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
          std::vector<T> k(static_cast<size_t>(c)), a(static_cast<size_t>(c)), b(static_cast<size_t>(c)), m(static_cast<size_t>(c)), is(static_cast<size_t>(c));
          for (int64_t j = 0; j < c; ++j) {
            size_t u = size_t(j);
            k[u] = T(g[u] * invstd[u]);
            a[u] = training ? T(sums[u] / double(rows)) : T(0);
            b[u] = training ? T(sums[size_t(c + j)] / double(rows)) : T(0);
            m[u] = T(mean[u]);
            is[u] = T(invstd[u]);
          }
          parallel_for(0, rows, c * 4, [&](int64_t s, int64_t e) {
            for (int64_t r = s; r < e; ++r)
              for (int64_t j = 0; j < c; ++j) {
                size_t u = size_t(j);
                T xhat = (xp[r * c + j] - m[u]) * is[u];
                op[r * c + j] = k[u] * (gp[r * c + j] - a[u] - xhat * b[u]);
              }
          });
        }
      });
    };
  });
}

}  // namespace nabla
