#include "nabla/train/class_weight.h"

#include <algorithm>
#include <cmath>

#include "nabla/train/data_adapter.h"

namespace nabla {

std::vector<int64_t> class_ids_of(const Tensor& labels, LabelEncoding encoding) {
  return data::class_ids(labels, encoding);
}

std::map<int64_t, int64_t> class_id_counts(const Tensor& labels, LabelEncoding encoding) {
  std::map<int64_t, int64_t> counts;
  for (int64_t c : data::class_ids(labels, encoding)) ++counts[c];
  return counts;
}

std::map<int64_t, double> compute_class_weight(const std::string& mode, const Tensor& labels,
                                               LabelEncoding encoding) {
  if (mode != "balanced")
    throw ValueError("compute_class_weight: unknown mode '" + mode + "' (known: balanced)");
  auto counts = class_id_counts(labels, encoding);
  if (counts.empty()) throw ValueError("compute_class_weight: no labels");
  int64_t n = 0;
  for (auto& [c, k] : counts) n += k;
  std::map<int64_t, double> w;
  for (auto& [c, k] : counts) w[c] = double(n) / (double(counts.size()) * double(k));
  return w;
}

Tensor compute_sample_weight(const std::map<int64_t, double>& class_weight, const Tensor& labels,
                             LabelEncoding encoding) {
  auto l = class_ids_of(labels, encoding);
  std::vector<float> w(l.size());
  for (size_t i = 0; i < l.size(); ++i) {
    auto it = class_weight.find(l[i]);
    w[i] = it == class_weight.end() ? 1.0f : float(it->second);
  }
  return Tensor::from_vector(w);
}

Tensor compute_sample_weight(const std::string& mode, const Tensor& labels, LabelEncoding encoding) {
  return compute_sample_weight(compute_class_weight(mode, labels, encoding), labels, encoding);
}

std::map<int64_t, double> effective_number_class_weight(const std::map<int64_t, int64_t>& counts, double beta) {
  if (!(beta >= 0 && beta < 1))
    throw ValueError(detail::concat("effective_number_class_weight: beta must be in [0, 1), got ", beta));
  if (counts.empty()) throw ValueError("effective_number_class_weight: no classes");
  std::map<int64_t, double> w;
  double total = 0;
  for (auto& [c, n] : counts) {
    if (n <= 0) throw ValueError(detail::concat("effective_number_class_weight: class ", c, " has ", n, " samples"));
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

namespace detail {

Tensor class_sample_weight(const Tensor& y, const std::map<int64_t, double>& class_weight,
                           const Tensor& sample_weight, int64_t classes, LabelEncoding encoding) {
  if (class_weight.empty()) return sample_weight;
  if (classes == 1) classes = 2;  // one sigmoid unit: classes 0 and 1
  for (const auto& [c, w] : class_weight)
    if (!(c >= 0 && (classes < 0 || c < classes)))
      throw ValueError(detail::concat("class_weight has class ", c, ", but the model has ", classes,
                                      " outputs (valid classes: 0..", classes - 1, ")"));
  // One class id per label: sparse targets give one per element (per pixel of [N, H, W]), one-hot targets one
  // per row of their last axis; then a weight per element, which the loss applies before its mean over the
  // non-batch axes.
  const std::vector<int64_t> ids = data::class_ids(y, encoding);
  const int64_t n = rows(y), m = int64_t(ids.size());
  const bool categorical = y.numel() != m;  // the last axis held one score per class
  Shape wshape = categorical ? Shape(y.shape().begin(), y.shape().end() - 1) : y.shape();
  if (m == n) wshape = Shape{n};
  Tensor w = make_tensor(wshape, f32);
  float* wp = w.data<float>();
  for (int64_t i = 0; i < m; ++i) {
    auto it = class_weight.find(ids[size_t(i)]);
    wp[i] = it == class_weight.end() ? 1.0f : float(it->second);
  }
  if (sample_weight.defined()) {
    Tensor s = sample_weight.detach().to(f32).contiguous();
    const float* sp = s.data<float>();
    NABLA_CHECK_SHAPE(s.numel() == n || s.numel() == m, "sample_weight has ", s.numel(), " values for a batch of ",
                      n, " samples (", m, " labels)");
    const int64_t per = s.numel() == m ? 1 : m / n;  // per-sample weights spread over each sample's elements
    for (int64_t i = 0; i < m; ++i) wp[i] *= sp[i / per];
  }
  return w;
}

ClassWeighting::ClassWeighting(const std::map<int64_t, double>& class_weight,
                               const std::map<std::string, std::map<int64_t, double>>& class_weights,
                               const std::vector<std::string>& names, const std::vector<Shape>& shapes,
                               std::function<int64_t()> classes_hint, bool sparse_labels,
                               const std::string& model)
    : classes_hint_(std::move(classes_hint)),
      encoding_(sparse_labels ? LabelEncoding::sparse : LabelEncoding::infer),
      model_(model) {
  if (!class_weight.empty()) {
    if (!class_weights.empty())
      throw ValueError("fit: pass class_weight (a single output) or class_weights (per output name), not both");
    single_ = &class_weight;
    return;
  }
  if (class_weights.empty()) return;
  per_output_.assign(names.size(), nullptr);
  for (const auto& [out, cw] : class_weights) {
    auto it = std::find(names.begin(), names.end(), out);
    if (it == names.end()) {
      std::string known;
      for (const auto& nm : names) known += (known.empty() ? "'" : ", '") + nm + "'";
      throw ValueError("fit: class_weights names output '" + out + "', but model '" + model + "' has outputs " +
                       (known.empty() ? "without names (use class_weight)" : known));
    }
    per_output_[size_t(it - names.begin())] = &cw;
  }
  for (size_t k = 0; k < names.size(); ++k)
    classes_.push_back(shapes.size() == names.size() && shapes[k].size() >= 2 ? shapes[k].back() : -1);
}

void ClassWeighting::apply(Batch& b) const {
  if (single_) {
    if (b.ys.size() != 1)
      throw ValueError("fit: class_weight needs a single output; with several outputs pass class_weights (keyed "
                       "by output name) or sample_weight");
    b.sw = class_sample_weight(b.ys[0], *single_, b.sw, classes_hint_ ? classes_hint_() : -1, encoding_);
    return;
  }
  if (per_output_.empty()) return;
  if (b.ys.size() != per_output_.size())
    throw ValueError(detail::concat("model '", model_, "' has ", per_output_.size(), " outputs but ", b.ys.size(),
                                    " targets were given"));
  b.sws.resize(b.ys.size());
  for (size_t k = 0; k < b.ys.size(); ++k)
    b.sws[k] = per_output_[k] ? class_sample_weight(b.ys[k], *per_output_[k], b.sw, classes_[k], encoding_) : b.sw;
}

}  // namespace detail
}  // namespace nabla
