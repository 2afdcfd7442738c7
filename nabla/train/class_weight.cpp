#include "nabla/train/class_weight.h"

#include <cmath>

namespace nabla {

std::vector<int64_t> class_ids_of(const Tensor& labels) {
  NABLA_CHECK(labels.defined(), "class_ids_of: labels are undefined");
  Tensor y = labels.detach().to(f64).contiguous();
  const double* p = y.data<double>();
  std::vector<int64_t> out;
  if (y.dim() == 2 && y.size(1) > 1) {  // one-hot rows
    int64_t n = y.size(0), c = y.size(1);
    out.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < c; ++j)
        if (p[i * c + j] > p[i * c + best]) best = j;
      out[size_t(i)] = best;
    }
    return out;
  }
  out.resize(size_t(y.numel()));
  for (int64_t i = 0; i < y.numel(); ++i) {
    NABLA_CHECK(p[i] >= 0 && p[i] == std::floor(p[i]), "labels must be non-negative class ids; label ", i, " is ",
                p[i]);
    out[size_t(i)] = int64_t(p[i]);
  }
  return out;
}

std::map<int64_t, int64_t> class_id_counts(const Tensor& labels) {
  std::map<int64_t, int64_t> counts;
  for (int64_t c : class_ids_of(labels)) ++counts[c];
  return counts;
}

std::map<int64_t, double> compute_class_weight(const std::string& mode, const Tensor& labels) {
  NABLA_CHECK(mode == "balanced", "compute_class_weight: unknown mode '", mode, "' (known: balanced)");
  auto counts = class_id_counts(labels);
  NABLA_CHECK(!counts.empty(), "compute_class_weight: no labels");
  int64_t n = 0;
  for (auto& [c, k] : counts) n += k;
  std::map<int64_t, double> w;
  for (auto& [c, k] : counts) w[c] = double(n) / (double(counts.size()) * double(k));
  return w;
}

Tensor compute_sample_weight(const std::map<int64_t, double>& class_weight, const Tensor& labels) {
  auto l = class_ids_of(labels);
  std::vector<float> w(l.size());
  for (size_t i = 0; i < l.size(); ++i) {
    auto it = class_weight.find(l[i]);
    w[i] = it == class_weight.end() ? 1.0f : float(it->second);
  }
  return Tensor::from_vector(w);
}

Tensor compute_sample_weight(const std::string& mode, const Tensor& labels) {
  return compute_sample_weight(compute_class_weight(mode, labels), labels);
}

std::map<int64_t, double> effective_number_class_weight(const std::map<int64_t, int64_t>& counts, double beta) {
  NABLA_CHECK(beta >= 0 && beta < 1, "effective_number_class_weight: beta must be in [0, 1), got ", beta);
  NABLA_CHECK(!counts.empty(), "effective_number_class_weight: no classes");
  std::map<int64_t, double> w;
  double total = 0;
  for (auto& [c, n] : counts) {
    NABLA_CHECK(n > 0, "effective_number_class_weight: class ", c, " has ", n, " samples");
    // E_n = (1 - beta^n) / (1 - beta): the expected volume covered by n samples; weight 1 / E_n.
    double effective = -std::expm1(double(n) * std::log1p(beta - 1));  // 1 - beta^n, accurate near beta = 1
    w[c] = beta == 0 ? 1.0 : (1 - beta) / effective;
    total += w[c];
  }
  for (auto& [c, v] : w) v *= double(w.size()) / total;
  return w;
}

std::map<int64_t, double> effective_number_class_weight(const Tensor& labels, double beta) {
  return effective_number_class_weight(class_id_counts(labels), beta);
}

}  // namespace nabla
