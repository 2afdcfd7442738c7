#include "nabla/debug/data_checks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "nabla/nn/embedding.h"
#include "nabla/nn/input_layer.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/fit_observer.h"
#include "nabla/train/model.h"

namespace nabla::debug {
namespace {

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

int64_t rows(const Tensor& t) { return t.dim() ? t.size(0) : 1; }

// Running statistics of the features, overall and per feature (column of the flattened sample).
struct FeatureStats {
  int64_t nan = 0, inf = 0, first_bad = -1, finite = 0, per = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity(), sum = 0;
  std::vector<double> col_lo, col_hi;
  int64_t seen_rows = 0;
  void add(const Tensor& x0, bool per_feature) {
    Tensor x = x0.contiguous();
    int64_t n = rows(x);
    if (per == 0) per = n ? x.numel() / n : 0;
    if (per_feature && col_lo.empty()) {
      col_lo.assign(size_t(per), std::numeric_limits<double>::infinity());
      col_hi.assign(size_t(per), -std::numeric_limits<double>::infinity());
    }
    NABLA_DISPATCH_ALL(x.dtype(), T, {
      const T* p = x.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        double v = double(p[i]);
        if (!std::isfinite(v)) {
          (std::isnan(v) ? nan : inf)++;
          if (first_bad < 0) first_bad = seen_rows * per + i;
          continue;
        }
        ++finite;
        sum += v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        if (per_feature && per) {
          size_t c = size_t(i % per);
          col_lo[c] = std::min(col_lo[c], v);
          col_hi[c] = std::max(col_hi[c], v);
        }
      }
    });
    seen_rows += n;
  }
};

struct LabelStats {
  int64_t non_finite = 0, fractional = 0, negative = 0, too_big = 0, first_bad = -1, seen = 0;
  double max_label = -1;
  std::map<int64_t, int64_t> counts;
  void add(const Tensor& y0, int64_t num_classes, bool sparse) {
    Tensor y = y0.contiguous();
    int64_t n = rows(y), per = n ? y.numel() / n : 1;
    if (per > 1 && !sparse) {  // one-hot (or probability) rows: count the argmax
      Tensor yd = y.to(f64).contiguous();
      const double* p = yd.data<double>();
      for (int64_t i = 0; i < n; ++i) {
        int64_t best = 0;
        for (int64_t j = 1; j < per; ++j)
          if (p[i * per + j] > p[i * per + best]) best = j;
        counts[best]++;
      }
      seen += n;
      return;
    }
    NABLA_DISPATCH_ALL(y.dtype(), T, {
      const T* p = y.data<T>();
      for (int64_t i = 0; i < y.numel(); ++i) {
        double v = double(p[i]);
        bool bad = false;
        if (!std::isfinite(v)) {
          ++non_finite;
          bad = true;
        } else if (v != std::floor(v)) {
          ++fractional;
          bad = true;
        } else if (v < 0) {
          ++negative;
          bad = true;
        } else if (num_classes > 0 && v >= double(num_classes)) {
          ++too_big;
          bad = true;
        }
        if (bad && first_bad < 0) first_bad = seen + i;
        if (std::isfinite(v)) {
          max_label = std::max(max_label, v);
          if (!bad) counts[int64_t(v)]++;
        }
      }
    });
    seen += y.numel();
  }
};

DataReport finish(const FeatureStats& f, const LabelStats& l, const DataCheckOptions& o, DType xdt, DType ydt) {
  DataReport r;
  r.samples = f.seen_rows;
  if (f.finite) {
    r.feature_min = f.lo;
    r.feature_max = f.hi;
    r.feature_mean = f.sum / double(f.finite);
  }
  auto add = [&](Severity s, const char* kind, std::string msg) { r.issues.push_back({s, kind, std::move(msg)}); };
  if (f.nan || f.inf)
    add(Severity::error, "non_finite_features",
        detail::concat("features contain ", f.nan, " NaN and ", f.inf, " Inf values (first at sample ",
                       f.per ? f.first_bad / f.per : 0, ", feature ", f.per ? f.first_bad % f.per : 0,
                       "); impute or drop them before training"));
  double max_abs = std::max(std::abs(f.lo), std::abs(f.hi));
  if (o.check_scaling && f.finite && (max_abs > o.scaled_max_abs || !is_floating(xdt)))
    add(Severity::warning, "features_not_scaled",
        detail::concat("features are not scaled: values lie in [", fmt(f.lo), ", ", fmt(f.hi), "] (mean ",
                       fmt(r.feature_mean), ", dtype ", dtype_name(xdt), "); networks expect inputs of order 1 — ",
                       f.hi > 200 && f.lo >= 0 ? "for pixels divide by 255 (x.to(f32) / 255.0)"
                                               : "standardize each feature ((x - mean) / std)"));
  if (o.constant_features && !f.col_lo.empty() && f.seen_rows > 1) {
    int64_t k = 0, first = -1;
    for (size_t c = 0; c < f.col_lo.size(); ++c)
      if (f.col_lo[c] == f.col_hi[c]) {
        ++k;
        if (first < 0) first = int64_t(c);
      }
    if (k)
      add(k == f.per ? Severity::error : Severity::info, "constant_features",
          detail::concat(k, " of ", f.per, " features are constant (first: feature ", first,
                         "); they carry no information",
                         k == f.per ? " — every sample is identical, so nothing can be learned" :
                                      " (harmless for image borders; drop them from tabular data)"));
  }
  if (o.classification) {
    if (l.non_finite)
      add(Severity::error, "non_finite_labels",
          detail::concat("labels contain ", l.non_finite, " NaN/Inf values (first at sample ", l.first_bad, ")"));
    if (l.fractional)
      add(Severity::error, "label_not_integer",
          detail::concat(l.fractional, " labels are not whole numbers (first at sample ", l.first_bad, ", dtype ",
                         dtype_name(ydt), "); sparse crossentropy needs class ids — for regression use "
                         "mse, for one-hot targets use categorical_crossentropy"));
    if (l.negative || l.too_big)
      add(Severity::error, "label_out_of_range",
          detail::concat(l.negative + l.too_big, " labels are outside [0, ", o.num_classes > 0 ? o.num_classes : 0,
                         ") (max label ", fmt(l.max_label), ", first bad at sample ", l.first_bad,
                         "); the model's output needs one unit per class"));
    r.class_counts = l.counts;
    if (r.class_counts.size() >= 2) {
      auto [mn, mx] = std::minmax_element(r.class_counts.begin(), r.class_counts.end(),
                                          [](auto& a, auto& b) { return a.second < b.second; });
      double ratio = double(mx->second) / double(std::max<int64_t>(mn->second, 1));
      if (ratio > o.imbalance_ratio)
        add(Severity::warning, "class_imbalance",
            detail::concat("classes are imbalanced: class ", mx->first, " has ", mx->second, " samples, class ",
                           mn->first, " has ", mn->second, " (ratio ", fmt(ratio), "); a model can reach ",
                           fmt(100.0 * double(mx->second) / double(l.seen)), "% accuracy by always predicting class ",
                           mx->first, " — pass fit's class_weight (or sample_weight), or resample the dataset"));
    }
    if (o.num_classes > 0 && int64_t(r.class_counts.size()) < o.num_classes && l.seen >= 10 * o.num_classes)
      add(Severity::info, "missing_classes",
          detail::concat("only ", r.class_counts.size(), " of ", o.num_classes, " classes occur in the labels"));
  }
  return r;
}

}  // namespace

bool DataReport::has(const std::string& kind) const {
  return std::any_of(issues.begin(), issues.end(), [&](const DataIssue& i) { return i.kind == kind; });
}
bool DataReport::ok() const {
  return std::none_of(issues.begin(), issues.end(), [](const DataIssue& i) { return i.severity != Severity::info; });
}

std::string DataReport::str() const {
  std::string s = detail::concat("Data check: ", samples, " samples, features in [", fmt(feature_min), ", ",
                                 fmt(feature_max), "], mean ", fmt(feature_mean), "\n");
  if (!class_counts.empty()) {
    s += "  class counts:";
    for (auto& [c, n] : class_counts) s += detail::concat(" ", c, ":", n);
    s += "\n";
  }
  for (const DataIssue& i : issues)
    s += std::string("  ") + (i.severity == Severity::error ? "ERROR" : i.severity == Severity::warning ? "WARNING" : "info") +
         " [" + i.kind + "] " + i.message + "\n";
  if (issues.empty()) s += "  no issues found\n";
  return s;
}

DataReport check_dataset(const Tensor& x, const Tensor& y, const DataCheckOptions& opts) {
  FeatureStats f;
  LabelStats l;
  int64_t n = x.dim() ? x.size(0) : 1;
  if (opts.max_feature_rows > 0 && n > opts.max_feature_rows) {
    std::vector<int64_t> rows(static_cast<size_t>(opts.max_feature_rows));
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = int64_t(i) * n / opts.max_feature_rows;
    f.add(take_rows(x, rows), opts.constant_features);
  } else {
    f.add(x, opts.constant_features);
  }
  if (opts.classification && y.defined()) l.add(y, opts.num_classes, opts.sparse_labels);
  return finish(f, l, opts, x.dtype(), y.defined() ? y.dtype() : f32);
}

DataReport check_dataset(const data::Dataset& ds, const DataCheckOptions& opts, int64_t max_batches) {
  FeatureStats f;
  LabelStats l;
  DType xdt = f32, ydt = f32;
  data::Iterator it = ds.make_iterator();
  for (int64_t b = 0; b < max_batches; ++b) {
    auto e = it.next();
    if (!e) break;
    NABLA_CHECK(!e->empty(), "check_dataset: empty dataset element");
    xdt = (*e)[0].dtype();
    f.add((*e)[0], opts.constant_features);
    if (opts.classification && e->size() >= 2) {
      ydt = (*e)[1].dtype();
      l.add((*e)[1], opts.num_classes, opts.sparse_labels);
    }
  }
  return finish(f, l, opts, xdt, ydt);
}

namespace {
struct FitDataChecks final : FitObserver {
  bool on = true;
  std::ostream* out = &std::cerr;
  void on_fit_data(Model& model, const Tensor& x, const Tensor& y) override {
    if (!on || !model.compiled()) return;
    DataCheckOptions o;
    o.classification = model.loss().sparse_targets();
    o.sparse_labels = o.classification;  // a sparse loss reads every label element as a class id
    for (const nn::LayerPtr& l : model.layers()) {  // token ids in [0, vocab) are not unscaled features
      if (dynamic_cast<const nn::InputLayer*>(l.get())) continue;
      o.check_scaling = !dynamic_cast<const nn::Embedding*>(l.get());
      break;
    }
    o.constant_features = false;  // image borders would warn on every MNIST run
    o.max_feature_rows = 4096;     // cheap: scaling is evident from a sample; fit already scans all for NaN/Inf
    auto shapes = model.layer_output_shapes();
    if (!shapes.empty() && shapes.back().second.size() >= 2) o.num_classes = shapes.back().second.back();
    DataReport r = check_dataset(x, y, o);
    for (const DataIssue& i : r.issues)
      if (i.severity != Severity::info) *out << "Warning: data check [" << i.kind << "]: " << i.message << "\n";
  }
};
FitDataChecks& fit_checks() {
  static FitDataChecks c;
  return c;
}
}  // namespace

void set_fit_data_checks(bool on, std::ostream* out) {
  fit_checks().on = on;
  fit_checks().out = out;
}

bool fit_hook::install_fit_data_checks() {
  add_fit_observer(&fit_checks());
  return true;
}

}  // namespace nabla::debug
