#include "nabla/train/metrics/classification_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "nabla/train/metrics/precision_recall.h"

namespace nabla::metrics {
namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
// Support is printed as an integer when the weights are whole (always, without sample weights), as numpy's sum.
std::string count(double v) {
  char buf[64];
  if (v == std::floor(v)) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string classification_report(const Tensor& y_true, const Tensor& y_pred, const std::vector<std::string>& names,
                                  int digits, const Tensor& sample_weight, double threshold) {
  ConfusionCounts cc = confusion_counts(y_true, y_pred, sample_weight, threshold);
  std::vector<int64_t> labels = cc.present_classes();
  NABLA_CHECK(names.empty() || names.size() == labels.size(), "classification_report: ", names.size(),
              " target_names for ", labels.size(), " classes");
  std::vector<std::string> rows;
  for (size_t i = 0; i < labels.size(); ++i) rows.push_back(names.empty() ? std::to_string(labels[i]) : names[i]);
  size_t width = std::string("weighted avg").size();
  for (const auto& r : rows) width = std::max(width, r.size());

  // Rows in sklearn's format strings: "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}".
  std::ostringstream os;
  const int w = int(width);
  os << std::setw(w) << "" << ' ';
  for (const char* h : {"precision", "recall", "f1-score", "support"}) os << ' ' << std::setw(9) << h;
  os << "\n\n";
  auto line = [&](const std::string& head, double p, double r, double f, double s) {
    os << std::setw(w) << head << ' ' << ' ' << std::setw(9) << fixed(p, digits) << ' ' << std::setw(9)
       << fixed(r, digits) << ' ' << std::setw(9) << fixed(f, digits) << ' ' << std::setw(9) << count(s) << '\n';
  };
  for (size_t i = 0; i < labels.size(); ++i) {
    int64_t c = labels[i];
    line(rows[i], precision_of(cc, c), recall_of(cc, c), f1_of(cc, c), cc.support(c));
  }
  os << '\n';
  const double total = cc.total();
  os << std::setw(w) << "accuracy" << ' ' << ' ' << std::setw(9) << "" << ' ' << std::setw(9) << "" << ' '
     << std::setw(9) << fixed(averaged_score(cc, Score::f1, Average::micro), digits) << ' ' << std::setw(9)
     << count(total) << '\n';
  line("macro avg", averaged_score(cc, Score::precision, Average::macro),
       averaged_score(cc, Score::recall, Average::macro), averaged_score(cc, Score::f1, Average::macro), total);
  line("weighted avg", averaged_score(cc, Score::precision, Average::weighted),
       averaged_score(cc, Score::recall, Average::weighted), averaged_score(cc, Score::f1, Average::weighted), total);
  return os.str();
}

}  // namespace nabla::metrics
