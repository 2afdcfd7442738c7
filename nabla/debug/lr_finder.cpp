#include "nabla/debug/lr_finder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "nabla/autograd/grad_mode.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/model.h"

namespace nabla::debug {

std::string ascii_plot(const std::vector<double>& xs, const std::vector<double>& ys, int width, int height) {
  if (xs.empty()) return "(no points)\n";
  double x0 = xs.front(), x1 = xs.back();
  double y0 = *std::min_element(ys.begin(), ys.end()), y1 = *std::max_element(ys.begin(), ys.end());
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  std::vector<std::string> grid(size_t(height), std::string(size_t(width), ' '));
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(ys[i])) continue;
    int c = int(std::lround((xs[i] - x0) / (x1 - x0) * (width - 1)));
    int r = int(std::lround((y1 - ys[i]) / (y1 - y0) * (height - 1)));
    grid[size_t(std::clamp(r, 0, height - 1))][size_t(std::clamp(c, 0, width - 1))] = '*';
  }
  char buf[64];
  std::string s;
  for (int r = 0; r < height; ++r) {
    std::snprintf(buf, sizeof buf, "%10.4g |", y1 - (y1 - y0) * r / (height - 1));
    s += buf + grid[size_t(r)] + "\n";
  }
  s += std::string(11, ' ') + "+" + std::string(size_t(width), '-') + "\n";
  std::snprintf(buf, sizeof buf, "%12s1e%-+.1f", "", x0);
  std::string left = buf;
  std::snprintf(buf, sizeof buf, "1e%+.1f", x1);
  s += left + std::string(size_t(std::max<int>(1, width - int(left.size()) + 12 - 7)), ' ') + buf +
       "   (learning rate, log scale)\n";
  return s;
}

LRFinderResult lr_range_test(Model& model, const Tensor& x, const Tensor& y, const LRFinderOptions& o) {
  NABLA_CHECK(o.steps >= 2 && o.start_lr > 0 && o.end_lr > o.start_lr, "lr_range_test: need steps >= 2 and "
              "0 < start_lr < end_lr");
  optim::Optimizer& opt = model.optimizer();
  model.build_if_possible();
  if (!model.layers().empty() && !model.layers().front()->built()) {
    NoGradGuard ng;
    model(slice(x, 0, 0, 1));
  }
  // Save everything the sweep changes.
  std::vector<Tensor> weights = model.get_weights();
  std::vector<Tensor> state;
  for (const Tensor& t : opt.state_tensors()) state.push_back(t.clone());
  auto saved_opts = opt.options();
  int64_t saved_iter = opt.iterations();

  LRFinderResult r;
  int64_t n = x.dim() ? x.size(0) : 1, pos = 0;
  double avg = 0, best = INFINITY;
  const double mult = std::pow(o.end_lr / o.start_lr, 1.0 / double(o.steps - 1));
  double lr = o.start_lr;
  for (int64_t s = 0; s < o.steps; ++s, lr *= mult) {
    if (pos + o.batch_size > n) pos = 0;
    int64_t e = std::min(pos + o.batch_size, n);
    opt.set_learning_rate(lr);
    double loss = model.train_on_batch(slice(x, 0, pos, e), slice(y, 0, pos, e))["loss"];
    pos = e;
    avg = o.smoothing * avg + (1 - o.smoothing) * loss;
    double sm = avg / (1 - std::pow(o.smoothing, double(s + 1)));  // bias-corrected, as fastai
    r.learning_rates.push_back(lr);
    r.losses.push_back(loss);
    r.smoothed.push_back(sm);
    if (std::isfinite(sm) && sm < best) {
      best = sm;
      r.best_lr = lr;
    }
    if (!std::isfinite(sm) || (s > 10 && sm > o.diverge_factor * best)) break;
  }
  r.suggested_lr = r.best_lr / 10;

  model.set_weights(weights);
  {
    auto now = opt.state_tensors();
    if (now.size() == state.size())
      for (size_t i = 0; i < now.size(); ++i) now[i].copy_(state[i]);
    else  // the optimizer had no state yet: zeros with iteration 0 behave as a fresh optimizer
      for (Tensor& t : now) t.fill_(0);
  }
  opt.options() = saved_opts;
  opt.set_iterations(saved_iter);
  for (const Tensor& w : model.trainable_weights()) const_cast<Tensor&>(w).zero_grad();

  std::vector<double> lx;
  for (double v : r.learning_rates) lx.push_back(std::log10(v));
  r.plot = ascii_plot(lx, r.smoothed);
  if (!o.csv_path.empty()) {
    std::ofstream f(o.csv_path);
    NABLA_CHECK(f.good(), "lr_range_test: cannot write '", o.csv_path, "'");
    f << "step,learning_rate,loss,smoothed_loss\n";
    for (size_t i = 0; i < r.losses.size(); ++i)
      f << i << "," << r.learning_rates[i] << "," << r.losses[i] << "," << r.smoothed[i] << "\n";
  }
  if (o.out)
    *o.out << "LR range test: " << r.losses.size() << " steps from " << o.start_lr << " to " << r.learning_rates.back()
           << "\n" << r.plot << "lowest loss " << best << " at learning rate " << r.best_lr
           << "; suggested learning rate: " << r.suggested_lr << "\n";
  return r;
}

}  // namespace nabla::debug
