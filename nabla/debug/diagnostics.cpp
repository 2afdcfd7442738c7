#include "nabla/debug/diagnostics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nabla/autograd/grad_mode.h"
#include "nabla/nn/dense.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/model.h"
#include "nabla/train/sequential.h"

namespace nabla::debug {
namespace {

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

double sum_squares(const Tensor& t0) {
  if (!t0.defined()) return 0;
  Tensor t = t0.detach().contiguous();
  double s = 0;
  NABLA_DISPATCH_FLOAT(t.dtype(), T, {
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) s += double(p[i]) * double(p[i]);
  });
  return s;
}

double diff_squares(const Tensor& a0, const Tensor& b0) {
  Tensor a = a0.detach().contiguous(), b = b0.detach().contiguous();
  double s = 0;
  NABLA_DISPATCH_FLOAT(a.dtype(), T, {
    const T* p = a.data<T>();
    const T* q = b.data<T>();
    for (int64_t i = 0; i < a.numel(); ++i) s += (double(p[i]) - double(q[i])) * (double(p[i]) - double(q[i]));
  });
  return s;
}

std::string layer_path(const Model& m, const nn::Layer& l) { return m.name() + "/" + l.name(); }

// The fused activation of a Dense layer ("" for others).
std::string activation_of(const nn::Layer& l) {
  if (auto* d = dynamic_cast<const nn::Dense*>(&l)) return d->activation();
  return "";
}

}  // namespace

std::string Diagnosis::str() const {
  return "Diagnosis [" + kind + "]" + (layer.empty() ? "" : " in layer " + layer) + ": " + evidence +
         "\n  advice: " + advice;
}

Diagnostics::~Diagnostics() {
  if (observing_) remove_fit_observer(this);
}

bool Diagnostics::has(const std::string& kind) const { return find(kind) != nullptr; }
const Diagnosis* Diagnostics::find(const std::string& kind) const {
  for (const Diagnosis& d : diagnoses_)
    if (d.kind == kind) return &d;
  return nullptr;
}

std::string Diagnostics::report() const {
  if (diagnoses_.empty()) return "Diagnostics: no problems found\n";
  std::string s;
  for (const Diagnosis& d : diagnoses_) s += d.str() + "\n";
  return s;
}

void Diagnostics::report_once(Diagnosis d) {
  for (const Diagnosis& e : diagnoses_)
    if (e.kind == d.kind && e.layer == d.layer) return;
  if (opts_.out) *opts_.out << "\n" << d.str() << "\n";
  diagnoses_.push_back(std::move(d));
}

void Diagnostics::on_train_begin(callbacks::Logs&) {
  diagnoses_.clear();
  stats_.clear();
  losses_.clear();
  class_counts_.clear();
  global_step_ = 0;
  add_fit_observer(this);
  observing_ = true;
}

void Diagnostics::on_train_end(callbacks::Logs&) {
  remove_fit_observer(this);
  observing_ = false;
  batch_x_ = Tensor();
  before_.clear();
}

void Diagnostics::on_train_step_begin(Model& model, const Tensor& x, const Tensor& y, const Tensor&, int epoch,
                                      int64_t) {
  epoch_ = epoch;
  batch_x_ = x;
  if (epoch == 0 && model.compiled() && model.loss().sparse_targets()) {
    Tensor l = y.to(i64).contiguous();
    const int64_t* p = l.data<int64_t>();
    for (int64_t i = 0; i < l.numel(); ++i) class_counts_[p[i]]++;
  }
}

void Diagnostics::on_train_batch_begin(int64_t, callbacks::Logs&) {
  if (global_step_ % opts_.every == 0) inspect_before();
}

void Diagnostics::inspect_before() {
  before_.clear();
  NoGradGuard ng;
  for (const auto& l : model()->layers()) {
    std::vector<Tensor> ws;
    for (const Tensor& w : l->trainable_weights()) ws.push_back(w.detach().clone());
    if (!ws.empty()) before_[layer_path(*model(), *l)] = std::move(ws);
  }
}

void Diagnostics::inspect_after() {
  NoGradGuard ng;
  Model& m = *model();
  stats_.clear();
  // Activations of a probe batch, layer by layer (Sequential only: its layers form a chain).
  std::vector<Tensor> acts;
  auto layers = m.layers();
  bool chain = dynamic_cast<Sequential*>(&m) != nullptr && batch_x_.defined();
  if (chain) {
    Tensor h = slice(batch_x_, 0, 0, std::min<int64_t>(batch_x_.size(0), 256)).to(f32);
    for (const auto& l : layers) acts.push_back(h = (*l)(h, false));
  }
  double max_grad = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const nn::Layer& l = *layers[i];
    LayerStats s;
    s.layer = layer_path(m, l);
    auto ws = l.trainable_weights();
    if (ws.empty() && !chain) continue;
    double g2 = 0, w2 = 0, d2 = 0;
    auto it = before_.find(s.layer);
    for (size_t k = 0; k < ws.size(); ++k) {
      g2 += sum_squares(ws[k].grad());
      w2 += sum_squares(ws[k]);
      if (it != before_.end()) d2 += diff_squares(ws[k], it->second[k]);
    }
    s.grad_norm = std::sqrt(g2);
    s.weight_norm = std::sqrt(w2);
    double w_before = 0;
    if (it != before_.end())
      for (const Tensor& t : it->second) w_before += sum_squares(t);
    s.update_ratio = w_before > 0 ? std::sqrt(d2 / w_before) : 0;
    if (chain) {
      Tensor a = acts[i].contiguous();
      int64_t n = a.dim() ? a.size(0) : 1, u = n ? a.numel() / n : 0;
      const float* p = a.data<float>();
      double sum = 0, sq = 0, lo = 0;
      for (int64_t j = 0; j < a.numel(); ++j) {
        sum += p[j];
        sq += double(p[j]) * p[j];
        lo = std::min(lo, double(p[j]));
      }
      double cnt = double(std::max<int64_t>(a.numel(), 1));
      s.act_mean = sum / cnt;
      s.act_std = std::sqrt(std::max(0.0, sq / cnt - s.act_mean * s.act_mean));
      std::string act = activation_of(l);
      if (act == "relu" && u > 0) {
        int64_t dead = 0;
        for (int64_t j = 0; j < u; ++j) {
          bool all_zero = true;
          for (int64_t r = 0; r < n && all_zero; ++r) all_zero = p[r * u + j] == 0.0f;
          dead += all_zero;
        }
        s.dead_fraction = double(dead) / double(u);
      }
      if ((act == "sigmoid" || act == "tanh") && a.numel() > 0) {
        double lim_lo = act == "sigmoid" ? 0.0 : -1.0, tol = 0.01 * (1.0 - lim_lo);
        int64_t sat = 0;
        for (int64_t j = 0; j < a.numel(); ++j) sat += (p[j] - lim_lo < tol) || (1.0 - p[j] < tol);
        s.saturated_fraction = double(sat) / double(a.numel());
      }
    }
    if (!ws.empty()) max_grad = std::max(max_grad, std::isfinite(s.grad_norm) ? s.grad_norm : 1e300);
    stats_.push_back(s);
  }
  before_.clear();

  std::string where = detail::concat(" at step ", global_step_, " (epoch ", epoch_ + 1, ")");
  for (const LayerStats& s : stats_) {
    auto lit = std::find_if(layers.begin(), layers.end(), [&](auto& l) { return layer_path(m, *l) == s.layer; });
    bool has_weights = lit != layers.end() && !(*lit)->trainable_weights().empty();
    if (has_weights && (!std::isfinite(s.grad_norm) || s.grad_norm > opts_.explode_norm))
      report_once({"exploding_gradients", s.layer,
                   "gradient norm " + fmt(s.grad_norm) + where + " (threshold " + fmt(opts_.explode_norm) +
                       "), weight norm " + fmt(s.weight_norm) + ", update/weight ratio " + fmt(s.update_ratio),
                   "clip gradients (OptimizerOptions{.clipnorm = 1.0} or .global_clipnorm = 1.0), lower the learning "
                   "rate, or add normalisation; check the inputs are scaled"});
    if (has_weights && max_grad > 0 && std::isfinite(s.grad_norm) && s.grad_norm < opts_.vanish_ratio * max_grad)
      report_once({"vanishing_gradients", s.layer,
                   "gradient norm " + fmt(s.grad_norm) + where + " vs " + fmt(max_grad) +
                       " in the layer with the largest (ratio " + fmt(s.grad_norm / max_grad) + ")",
                   "this layer barely learns: use relu instead of sigmoid/tanh in deep stacks, He initialisation "
                   "(kernel_initializer = \"he_normal\"), normalisation, or scale the inputs"});
    if (s.dead_fraction > opts_.dead_fraction)
      report_once({"dead_relu", s.layer,
                   fmt(100 * s.dead_fraction) + "% of its ReLU units output 0 for every sample of the batch" + where +
                       " (activation mean " + fmt(s.act_mean) + ", gradient norm " + fmt(s.grad_norm) + ")",
                   "dead units get no gradient and never recover: check the initialisation (negative biases, "
                   "he_normal kernels), lower the learning rate, or use leaky_relu"});
    if (s.saturated_fraction > opts_.saturated_fraction)
      report_once({"saturated_activations", s.layer,
                   fmt(100 * s.saturated_fraction) + "% of its sigmoid/tanh outputs are within 1% of their limits" +
                       where + " (gradient norm " + fmt(s.grad_norm) + ")",
                   "saturated units pass almost no gradient: scale the inputs (pixels / 255, or standardize), use "
                   "smaller initial weights, or relu"});
  }
}

void Diagnostics::check_loss() {
  double loss = losses_.back();
  double lr = model()->compiled() ? model()->optimizer().learning_rate() : 0;
  std::string where = detail::concat("step ", global_step_, " (epoch ", epoch_ + 1, ")");
  if (!std::isfinite(loss)) {
    report_once({"loss_nan", "",
                 "loss is " + fmt(loss) + " at " + where + "; it was " + fmt(losses_.front()) +
                     " at step 0; learning rate " + fmt(lr),
                 "the learning rate is probably too high: try " + fmt(lr / 10) +
                     ", or clip gradients (OptimizerOptions{.clipnorm = 1.0}); if it persists, run with "
                     "debug::enable_check_numerics() to find the op that made the NaN"});
    return;
  }
  double best = *std::min_element(losses_.begin(), losses_.end());
  if (losses_.size() > 10 && loss > opts_.diverge_factor * best && best > 0)
    report_once({"loss_diverging", "",
                 "loss rose to " + fmt(loss) + " at " + where + " from a best of " + fmt(best) + " (x" +
                     fmt(loss / best) + "); learning rate " + fmt(lr),
                 "the learning rate is too high: try " + fmt(lr / 10) + " (debug::lr_range_test suggests one)"});
  if (int64_t(losses_.size()) == opts_.flat_after) {
    size_t w = std::min<size_t>(10, losses_.size() / 4);
    double first = 0, last = 0;
    for (size_t i = 0; i < w; ++i) {
      first += losses_[i] / double(w);
      last += losses_[losses_.size() - 1 - i] / double(w);
    }
    double rel = first > 0 ? (first - last) / first : 0;
    if (rel < opts_.flat_tolerance) {
      std::string extra;
      auto shapes = model()->layer_output_shapes();
      if (!shapes.empty() && shapes.back().second.size() >= 2 && shapes.back().second.back() > 1) {
        double c = double(shapes.back().second.back());
        if (std::abs(last - std::log(c)) < 0.05 * std::log(c))
          extra = "; the loss is ln(" + fmt(c) + ") = " + fmt(std::log(c)) + ", the loss of a uniform guess";
      }
      report_once({"loss_flat", "",
                   "loss went from " + fmt(first) + " to " + fmt(last) + " over the first " +
                       std::to_string(losses_.size()) + " steps (" + fmt(100 * rel) + "% lower)" + extra +
                       "; learning rate " + fmt(lr),
                   "the learning rate may be too low: try " + fmt(lr * 10) +
                       " (debug::lr_range_test finds one); or the targets do not match the loss (class ids need "
                       "sparse_categorical_crossentropy, one-hot rows categorical_crossentropy; check the output "
                       "activation)"});
    }
  }
}

void Diagnostics::on_train_batch_end(int64_t, callbacks::Logs& logs) {
  auto it = logs.find("loss");
  if (it != logs.end()) {
    losses_.push_back(it->second);
    check_loss();
  }
  if (global_step_ % opts_.every == 0) inspect_after();
  ++global_step_;
}

void Diagnostics::on_epoch_end(int epoch, callbacks::Logs& logs) {
  std::string acc_key;
  for (const char* k : {"accuracy", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy"})
    if (logs.count(k)) {
      acc_key = k;
      break;
    }
  std::string where = detail::concat(" after epoch ", epoch + 1);
  if (!acc_key.empty() && logs.count("val_" + acc_key)) {
    double a = logs[acc_key], v = logs["val_" + acc_key];
    if (a > 0.9 && a - v > opts_.overfit_gap)
      report_once({"overfitting", "",
                   "training accuracy " + fmt(a) + " but validation accuracy " + fmt(v) + where + " (gap " +
                       fmt(a - v) + ")",
                   "regularise: Dropout, L2 weight decay, fewer parameters or more data; stop early with "
                   "callbacks::EarlyStopping on val_loss"});
  }
  if (!acc_key.empty() && class_counts_.size() >= 2) {
    int64_t total = 0, top = 0, top_class = 0;
    for (auto& [c, n] : class_counts_) {
      total += n;
      if (n > top) top = n, top_class = c;
    }
    double share = double(top) / double(total), a = logs[acc_key];
    if (share > 1.5 / double(class_counts_.size()) && std::abs(a - share) < 0.01) {
      std::string weights;
      for (auto& [c, n] : class_counts_)
        weights += (weights.empty() ? "" : ", ") + detail::concat("{", c, ", ", fmt(double(total) /
                                                                                   (double(class_counts_.size()) * double(n))), "}");
      report_once({"majority_class", "",
                   "accuracy " + fmt(a) + where + " equals the share of the majority class " +
                       std::to_string(top_class) + " (" + fmt(share) + " of " + std::to_string(total) +
                       " labels): the model predicts that class for everything",
                   "the classes are imbalanced: pass fit's class_weight, e.g. .class_weight = {" + weights +
                       "} (balanced), or resample; judge the model by per-class recall, not accuracy"});
    }
  }
}

}  // namespace nabla::debug
