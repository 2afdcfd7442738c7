#include "nabla/train/callbacks/training_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"
#include "nabla/ops/reduce.h"
#include "nabla/train/data_parallel.h"
#include "nabla/train/model.h"

namespace nabla::callbacks {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Tableau 10, which stays distinguishable for the colour-blind in pairs (train blue, validation orange).
const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string esc(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string num(double v, int digits = 4) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  char b[32];
  std::snprintf(b, sizeof b, "%.*g", digits, v);
  return b;
}

std::string px(double v) {  // SVG coordinates: one decimal is plenty
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// About n "nice" tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int n = 5) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / n;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = p;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  return t;
}

struct Series {
  std::string name;
  std::vector<double> x, y;  // NaN y: a gap
};

// A line chart as inline SVG: axes with ticks, one polyline per series with point markers whose <title> gives the
// value on hover, and a legend. log_y plots log10 of the positive values (gradient norms span decades).
std::string line_chart(const std::string& id, const std::string& title, const std::string& x_label,
                       const std::vector<Series>& series, bool log_y = false, bool integer_x = true) {
  constexpr double W = 560, H = 300, L = 64, R = 16, T = 30, B = 44;
  auto ty = [&](double v) { return log_y ? (v > 0 ? std::log10(v) : kNaN) : v; };
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      double y = ty(s.y[i]);
      if (!std::isfinite(y)) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  std::ostringstream o;
  o << "<figure class=\"chart-box\"><svg class=\"chart\" id=\"" << esc(id) << "\" viewBox=\"0 0 " << W << " " << H
    << "\" width=\"" << W << "\" height=\"" << H << "\" role=\"img\" aria-label=\"" << esc(title) << "\">";
  o << "<text class=\"title\" x=\"" << L << "\" y=\"18\">" << esc(title) << "</text>";
  if (!(x0 <= x1)) {
    o << "<text x=\"" << W / 2 << "\" y=\"" << H / 2 << "\" text-anchor=\"middle\" class=\"empty\">no finite values"
      << "</text></svg></figure>";
    return o.str();
  }
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) {
    double pad = log_y ? 0.5 : std::max(std::abs(y0) * 0.1, 1e-3);
    y0 -= pad, y1 += pad;
  } else {
    double pad = (y1 - y0) * 0.05;
    y0 -= pad, y1 += pad;
  }
  auto sx = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto sy = [&](double y) { return H - B - (y - y0) / (y1 - y0) * (H - T - B); };
  // Axes, grid and ticks.
  o << "<g class=\"axes\">";
  std::vector<double> yt;
  if (log_y) {  // 1, 2 and 5 times each power of ten in range; powers of ten alone when that is too many
    for (int e = int(std::floor(y0)); e <= int(std::ceil(y1)); ++e)
      for (double m : {1.0, 2.0, 5.0}) yt.push_back(e + std::log10(m));
    if (std::count_if(yt.begin(), yt.end(), [&](double v) { return v >= y0 && v <= y1; }) > 8)
      yt.erase(std::remove_if(yt.begin(), yt.end(), [](double v) { return v != std::round(v); }), yt.end());
  } else {
    yt = nice_ticks(y0, y1);
  }
  for (double v : yt) {
    if (v < y0 - 1e-12 || v > y1 + 1e-12) continue;
    o << "<line class=\"grid\" x1=\"" << L << "\" x2=\"" << W - R << "\" y1=\"" << px(sy(v)) << "\" y2=\"" << px(sy(v))
      << "\"/><text class=\"tick\" x=\"" << L - 6 << "\" y=\"" << px(sy(v) + 4) << "\" text-anchor=\"end\">"
      << num(log_y ? std::pow(10.0, v) : v, 3) << "</text>";
  }
  for (double v : nice_ticks(x0, x1, 6)) {
    if (integer_x && v != std::round(v)) continue;  // epochs: no "epoch 0.5"
    o << "<line class=\"xtick\" x1=\"" << px(sx(v)) << "\" x2=\"" << px(sx(v)) << "\" y1=\"" << H - B << "\" y2=\""
      << H - B + 4 << "\"/><text class=\"tick\" x=\"" << px(sx(v)) << "\" y=\"" << H - B + 16
      << "\" text-anchor=\"middle\">" << num(v, 6) << "</text>";
  }
  o << "<line class=\"axis\" x1=\"" << L << "\" x2=\"" << W - R << "\" y1=\"" << H - B << "\" y2=\"" << H - B
    << "\"/><line class=\"axis\" x1=\"" << L << "\" x2=\"" << L << "\" y1=\"" << T << "\" y2=\"" << H - B << "\"/>";
  o << "<text class=\"label\" x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 8 << "\" text-anchor=\"middle\">"
    << esc(x_label) << "</text></g>";
  // Series.
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const char* color = kPalette[k % 10];
    o << "<g class=\"series\" data-name=\"" << esc(s.name) << "\">";
    std::string d;
    bool pen = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      double y = ty(s.y[i]);
      if (!std::isfinite(y)) {
        pen = false;
        continue;
      }
      d += (pen ? " L" : " M") + px(sx(s.x[i])) + " " + px(sy(y));
      pen = true;
    }
    o << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\"/>";
    if (s.x.size() <= 200)
      for (size_t i = 0; i < s.x.size(); ++i) {
        double y = ty(s.y[i]);
        if (!std::isfinite(y)) continue;
        o << "<circle cx=\"" << px(sx(s.x[i])) << "\" cy=\"" << px(sy(y)) << "\" r=\"3\" fill=\"" << color
          << "\"><title>" << esc(s.name) << " @ " << num(s.x[i], 8) << ": " << num(s.y[i], 6) << "</title></circle>";
      }
    o << "</g>";
  }
  // Legend, top right, one row per series.
  for (size_t k = 0; k < series.size(); ++k) {
    double y = T + 4 + 16.0 * double(k);
    o << "<rect x=\"" << W - R - 150 << "\" y=\"" << px(y) << "\" width=\"12\" height=\"3\" fill=\"" << kPalette[k % 10]
      << "\"/><text class=\"legend\" x=\"" << W - R - 134 << "\" y=\"" << px(y + 5) << "\">" << esc(series[k].name)
      << "</text>";
  }
  o << "</svg></figure>";
  return o.str();
}

// Class ids of labels: sparse ([N] or [N, 1]) as they are, one-hot ([N, C], C > 1) by argmax.
std::vector<int64_t> label_ids(const Tensor& y) {
  Tensor t = y.detach();
  if (t.dim() == 2 && t.shape()[1] > 1) t = argmax(t.to(DType::f32), 1);
  t = t.reshape({t.numel()}).to(DType::f64).contiguous();
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  const double* p = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) out[size_t(i)] = std::isfinite(p[i]) ? int64_t(std::llround(p[i])) : -1;
  return out;
}

// Predicted class ids: argmax over the last axis, or probability > 0.5 for a single sigmoid unit.
std::vector<int64_t> predicted_ids(const Tensor& pred) {
  Tensor p = pred.detach().to(DType::f32);
  if (p.dim() >= 2 && p.shape()[p.dim() - 1] > 1) return label_ids(argmax(p, p.dim() - 1).reshape({p.shape()[0], 1}));
  p = p.reshape({p.numel()}).contiguous();
  std::vector<int64_t> out(static_cast<size_t>(p.numel()));
  for (int64_t i = 0; i < p.numel(); ++i) out[size_t(i)] = p.data<float>()[i] > 0.5f ? 1 : 0;
  return out;
}

double l2(const std::vector<Tensor>& ts) {
  double s = 0;
  for (const Tensor& w : ts) {
    Tensor g = w.grad();
    if (!g.defined()) continue;
    g = g.detach().contiguous();
    NABLA_DISPATCH_FLOAT(g.dtype(), T, {
      const T* p = g.data<T>();
      for (int64_t i = 0; i < g.numel(); ++i) s += double(p[i]) * double(p[i]);
    });
  }
  return std::sqrt(s);
}

}  // namespace

int64_t TrainingReport::Confusion::total() const {
  int64_t n = 0;
  for (const auto& r : counts)
    for (int64_t v : r) n += v;
  return n;
}

double TrainingReport::Confusion::precision(size_t c) const {
  int64_t col = 0;
  for (const auto& r : counts) col += r[c];
  return col ? double(counts[c][c]) / double(col) : kNaN;
}

double TrainingReport::Confusion::recall(size_t c) const {
  int64_t row = 0;
  for (int64_t v : counts[c]) row += v;
  return row ? double(counts[c][c]) / double(row) : kNaN;
}

TrainingReport::TrainingReport(std::string path, TrainingReportOptions opts)
    : path_(std::move(path)), opts_(std::move(opts)) {
  NABLA_CHECK_VALUE(!path_.empty(), "TrainingReport: the report path is empty");
  NABLA_CHECK_VALUE(opts_.grad_norm_every > 0, "TrainingReport: grad_norm_every must be positive, got ",
                    opts_.grad_norm_every);
  NABLA_CHECK_VALUE(opts_.x_val.defined() == opts_.y_val.defined(),
                    "TrainingReport: give both x_val and y_val, or neither (then fit's validation data is used)");
}

void TrainingReport::on_train_begin(Logs&) {
  const DataParallel* dp = model()->data_parallel();
  chief_ = !dp || dp->is_chief();  // data-parallel: one report, from the chief
  epochs_.clear();
  history_.clear();
  sample_steps_.clear();
  sample_lr_.clear();
  grad_norms_.clear();
  layer_order_.clear();
  confusion_.reset();
  own_findings_.clear();
  global_step_ = 0;
  model_name_ = model()->name();
  params_ = 0;
}

void TrainingReport::on_train_batch_end(int64_t, Logs&) {
  if (!chief_) return;
  const int64_t step = global_step_++;
  if (step % opts_.grad_norm_every != 0) return;
  Model& m = *model();
  sample_steps_.push_back(step);
  sample_lr_.push_back(m.compiled() ? m.optimizer().learning_rate() : kNaN);
  const size_t n = sample_steps_.size();
  for (const auto& l : m.layers()) {
    auto ws = l->trainable_weights();
    if (ws.empty() || !l->trainable) continue;
    auto& v = grad_norms_[l->name()];
    if (v.empty() && n > 1) v.assign(n - 1, kNaN);  // a layer that started training late
    if (std::find(layer_order_.begin(), layer_order_.end(), l->name()) == layer_order_.end())
      layer_order_.push_back(l->name());
    v.push_back(l2(ws));
  }
  for (auto& [name, v] : grad_norms_) v.resize(n, kNaN);  // a layer frozen since: gaps
}

void TrainingReport::on_epoch_end(int epoch, Logs& logs) {
  if (!chief_) return;
  const size_t n = epochs_.size();
  epochs_.push_back(epoch);
  for (const auto& [k, v] : logs) {
    auto& s = history_[k];
    s.resize(n, kNaN);
    s.push_back(v);
  }
  for (auto& [k, s] : history_) s.resize(n + 1, kNaN);
  auto it = logs.find("loss");
  if (it != logs.end() && !std::isfinite(it->second) &&
      std::none_of(own_findings_.begin(), own_findings_.end(), [](const auto& f) { return f.kind == "loss_nan"; }))
    own_findings_.push_back(
        {"loss_nan", "", "epoch " + std::to_string(epoch) + ": loss " + num(it->second),
         "Lower the learning rate, or clip gradients (OptimizerOptions clipnorm). To find the op that first produces "
         "NaN/Inf, rerun with check mode on: debug::enable_check_numerics() names it, its layer and its inputs, and "
         "writes a NaN dump of the failing step."});
  params_ = model()->count_params();
  update_confusion();
  write();
}

void TrainingReport::on_train_end(Logs&) {
  if (chief_) write();
}

void TrainingReport::update_confusion() {
  Model& m = *model();
  if (!m.compiled()) return;
  const std::string loss = m.loss().class_name();
  if (loss.find("Crossentropy") == std::string::npos && loss.find("Focal") == std::string::npos) {
    confusion_note_ = "not a classifier (loss " + (loss.empty() ? m.loss().name() : loss) + ")";
    return;
  }
  std::vector<int64_t> truth, pred;
  if (opts_.x_val.defined()) {
    truth = label_ids(opts_.y_val);
    pred = predicted_ids(m.predict(opts_.x_val, {.batch_size = 256, .verbose = 0}));
  } else if (const ValidationData* v = m.fit_validation_data()) {
    if (v->dataset) {
      for (const data::Element& el : *v->dataset) {
        if (el.size() < 2) continue;
        auto t = label_ids(el[1]);
        auto p = predicted_ids(m.predict_on_batch(el[0]));
        truth.insert(truth.end(), t.begin(), t.end());
        pred.insert(pred.end(), p.begin(), p.end());
      }
    } else if (v->xs.size() == 1 && v->ys.size() == 1) {
      truth = label_ids(v->ys[0]);
      pred = predicted_ids(m.predict(v->xs[0], {.batch_size = 256, .verbose = 0}));
    } else {
      confusion_note_ = "the model has several inputs or outputs";
      return;
    }
  } else {
    confusion_note_ = "fit had no validation data (validation_data or validation_split)";
    return;
  }
  if (truth.size() != pred.size() || truth.empty()) {
    confusion_note_ = "the validation labels (" + std::to_string(truth.size()) + ") do not match the predictions (" +
                      std::to_string(pred.size()) + ")";
    return;
  }
  int64_t classes = 2;
  for (size_t i = 0; i < truth.size(); ++i) classes = std::max({classes, truth[i] + 1, pred[i] + 1});
  Confusion c;
  c.counts.assign(size_t(classes), std::vector<int64_t>(size_t(classes), 0));
  for (size_t i = 0; i < truth.size(); ++i)
    if (truth[i] >= 0) c.counts[size_t(truth[i])][size_t(pred[i])]++;
  confusion_ = std::move(c);
}

void TrainingReport::write() { write_file_atomic(path_, html(), "TrainingReport"); }

std::string TrainingReport::html() const {
  std::ostringstream o;
  const std::string title = opts_.title.empty() ? model_name_ + " training report" : opts_.title;
  char when[64] = "";
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << esc(title) << "</title>\n"
    << "<meta name=\"viewport\" content=\"width=device-width\">\n<style>\n"
    << "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;background:#fff}\n"
    << "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ddd}\n"
    << ".meta{color:#666;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:12px}\n"
    << "figure{margin:0;border:1px solid #e4e4e4;border-radius:4px;padding:4px}\n"
    << "svg text{font-size:11px;fill:#444}svg .title{font-size:13px;font-weight:600;fill:#222}\n"
    << "svg .grid{stroke:#eee}svg .axis,svg .xtick{stroke:#999}svg .empty{fill:#999}\n"
    << "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}\n"
    << "th{background:#f6f6f6}.cm td{min-width:28px;text-align:center}.cm td.diag{font-weight:700}\n"
    << ".finding{border-left:4px solid #d62728;background:#fdf3f3;padding:6px 10px;margin:6px 0}\n"
    << ".finding .kind{font-weight:700}.ok{color:#2ca02c}.note{color:#666;font-size:13px}\n"
    << "</style></head>\n<body>\n";
  o << "<h1>" << esc(title) << "</h1>\n<p class=\"meta\" id=\"meta\">model <b>" << esc(model_name_) << "</b> &middot; "
    << params_ << " parameters &middot; " << epochs_.size() << " epoch" << (epochs_.size() == 1 ? "" : "s")
    << " done &middot; " << global_step_ << " steps &middot; written " << when << "</p>\n";

  // Findings first: they are what to act on.
  std::vector<ReportFinding> findings = own_findings_;
  if (opts_.findings)
    for (auto& f : opts_.findings()) findings.push_back(std::move(f));
  findings.insert(findings.end(), extra_findings_.begin(), extra_findings_.end());
  o << "<section id=\"findings\"><h2>Findings</h2>\n";
  if (findings.empty())
    o << "<p class=\"ok\" id=\"no-findings\">No problems found" << (opts_.findings ? "" : " (loss checks only; pass "
      "debug::report_findings(diagnostics) as findings for debug::Diagnostics' checks)") << ".</p>\n";
  for (const auto& f : findings)
    o << "<div class=\"finding\"><span class=\"kind\">" << esc(f.kind) << "</span>"
      << (f.layer.empty() ? "" : " in <code>" + esc(f.layer) + "</code>") << ": " << esc(f.evidence)
      << "<br><b>Advice:</b> " << esc(f.advice) << "</div>\n";
  o << "</section>\n";

  // Loss and metric curves, each with its validation twin.
  o << "<section id=\"curves\"><h2>Loss and metrics per epoch</h2><div class=\"charts\">\n";
  std::vector<double> ex(epochs_.begin(), epochs_.end());
  std::vector<std::string> keys;
  if (history_.count("loss")) keys.push_back("loss");
  for (const auto& [k, v] : history_)
    if (k != "loss" && k != "learning_rate" && k.rfind("val_", 0) != 0) keys.push_back(k);
  for (const auto& [k, v] : history_)  // validation values without a training twin
    if (k.rfind("val_", 0) == 0 && !history_.count(k.substr(4))) keys.push_back(k);
  for (const auto& k : keys) {
    std::vector<Series> s{{"train", ex, history_.at(k)}};
    if (k.rfind("val_", 0) == 0) s[0].name = "validation";
    else if (auto it = history_.find("val_" + k); it != history_.end()) s.push_back({"validation", ex, it->second});
    o << line_chart("chart-" + k, k, "epoch", s) << "\n";
  }
  if (keys.empty()) o << "<p class=\"note\">No epoch has ended yet.</p>";
  o << "</div></section>\n";

  // Optimization: learning rate and gradient norms, sampled every grad_norm_every steps.
  o << "<section id=\"optimization\"><h2>Learning rate and gradient norms</h2><div class=\"charts\">\n";
  std::vector<double> sx(sample_steps_.begin(), sample_steps_.end());
  o << line_chart("chart-learning-rate", "learning rate", "step", {{"learning rate", sx, sample_lr_}}) << "\n";
  std::vector<Series> gs;
  for (const auto& name : layer_order_) gs.push_back({name, sx, grad_norms_.at(name)});
  o << line_chart("chart-grad-norms", "gradient L2 norm per layer (log scale)", "step", gs, true) << "\n";
  o << "</div><p class=\"note\">Sampled every " << opts_.grad_norm_every
    << " steps after the optimizer's update. A layer's norm growing by decades points to exploding gradients; one "
       "far below the others to vanishing ones.</p></section>\n";

  // Classification quality on the validation data.
  o << "<section id=\"classification\"><h2>Validation: confusion matrix and per-class figures</h2>\n";
  if (!confusion_) {
    o << "<p class=\"note\" id=\"no-confusion\">No confusion matrix: "
      << esc(confusion_note_.empty() ? "no epoch has ended yet" : confusion_note_) << ".</p>\n";
  } else {
    const Confusion& c = *confusion_;
    const size_t k = c.counts.size();
    auto cname = [&](size_t i) { return i < opts_.class_names.size() ? opts_.class_names[i] : std::to_string(i); };
    o << "<p class=\"note\">" << c.total() << " validation samples after epoch " << (epochs_.empty() ? 0 : epochs_.back())
      << ". Rows: true class; columns: predicted. Shading: share of the row.</p>\n";
    o << "<table class=\"cm\" id=\"confusion-matrix\"><tr><th>true \\ pred</th>";
    for (size_t j = 0; j < k; ++j) o << "<th>" << esc(cname(j)) << "</th>";
    o << "</tr>\n";
    for (size_t i = 0; i < k; ++i) {
      int64_t row = 0;
      for (int64_t v : c.counts[i]) row += v;
      o << "<tr><th>" << esc(cname(i)) << "</th>";
      for (size_t j = 0; j < k; ++j) {
        const double share = row ? double(c.counts[i][j]) / double(row) : 0;
        char bg[64];
        std::snprintf(bg, sizeof bg, "rgba(%s,%.3f)", i == j ? "31,119,180" : "214,39,40", share);
        o << "<td" << (i == j ? " class=\"diag\"" : "") << " style=\"background:" << bg
          << (share > 0.6 ? ";color:#fff" : "") << "\">" << c.counts[i][j] << "</td>";
      }
      o << "</tr>\n";
    }
    o << "</table>\n<h2>Per-class precision and recall</h2>\n<table id=\"per-class\"><tr><th>class</th><th>precision"
      << "</th><th>recall</th><th>F1</th><th>support</th></tr>\n";
    for (size_t i = 0; i < k; ++i) {
      const double p = c.precision(i), r = c.recall(i);
      const double f1 = (p + r) > 0 ? 2 * p * r / (p + r) : kNaN;
      int64_t support = 0;
      for (int64_t v : c.counts[i]) support += v;
      o << "<tr><th>" << esc(cname(i)) << "</th><td>" << num(p, 3) << "</td><td>" << num(r, 3) << "</td><td>"
        << num(f1, 3) << "</td><td>" << support << "</td></tr>\n";
    }
    o << "</table>\n";
  }
  o << "</section>\n";
  // The only script: it checks that every chart drew its series and says so in a marker element, which the
  // headless-Chromium test looks for (a script error leaves it out).
  o << "<script>\n(function () {\n  var charts = document.querySelectorAll('svg.chart');\n  var drawn = 0;\n"
    << "  for (var i = 0; i < charts.length; i++) if (charts[i].querySelector('g.series path')) drawn++;\n"
    << "  var p = document.createElement('p');\n  p.id = 'render-ok';\n  p.className = 'note';\n"
    << "  p.textContent = drawn + ' of ' + charts.length + ' charts drawn';\n  p.dataset.charts = charts.length;\n"
    << "  p.dataset.drawn = drawn;\n  document.body.appendChild(p);\n})();\n</script>\n</body></html>\n";
  return o.str();
}

}  // namespace nabla::callbacks
