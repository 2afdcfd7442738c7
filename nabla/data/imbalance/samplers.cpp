#include "nabla/data/imbalance/samplers.h"

#include <algorithm>

#include "nabla/data/imbalance/labels.h"

namespace nabla::data {
namespace {

std::map<int64_t, int64_t> counts_of(const Tensor& y) {
  std::map<int64_t, int64_t> c;
  for (int64_t l : labels_of(y)) ++c[l];
  NABLA_CHECK(!c.empty(), "resampling: no samples");
  return c;
}

// Targets per imblearn's rules; over: counts may only grow, under: only shrink.
std::map<int64_t, int64_t> targets(const SamplingStrategy& s, const std::map<int64_t, int64_t>& have, bool over) {
  const char* who = over ? "RandomOverSampler" : "RandomUnderSampler";
  auto by_count = [](auto& a, auto& b) { return a.second < b.second; };
  const int64_t minority = std::min_element(have.begin(), have.end(), by_count)->first;
  const int64_t majority = std::max_element(have.begin(), have.end(), by_count)->first;
  std::map<int64_t, int64_t> t = have;
  if (!s.counts.empty()) {
    for (auto& [c, n] : s.counts) {
      NABLA_CHECK(have.count(c), who, ": sampling_strategy names class ", c, ", which is not in y");
      NABLA_CHECK(over ? n >= have.at(c) : n <= have.at(c), who, ": class ", c, " has ", have.at(c),
                  " samples; a target of ", n, (over ? " would under-sample it" : " would over-sample it"));
      t[c] = n;
    }
    return t;
  }
  if (s.name.empty()) {
    NABLA_CHECK(have.size() == 2, who, ": a ratio sampling_strategy needs two classes, y has ", have.size());
    NABLA_CHECK(s.ratio > 0 && s.ratio <= 1, who, ": ratio must be in (0, 1], got ", s.ratio);
    if (over) {
      int64_t n = int64_t(s.ratio * double(have.at(majority)));
      NABLA_CHECK(n >= have.at(minority), who, ": ratio ", s.ratio, " asks for fewer minority samples than y has");
      t[minority] = n;
    } else {
      int64_t n = int64_t(double(have.at(minority)) / s.ratio);
      NABLA_CHECK(n <= have.at(majority), who, ": ratio ", s.ratio, " asks for more majority samples than y has");
      t[majority] = n;
    }
    return t;
  }
  std::string name = s.name == "auto" ? (over ? "not majority" : "not minority") : s.name;
  const int64_t goal = over ? have.at(majority) : have.at(minority);
  for (auto& [c, n] : t) {
    bool chosen = name == "all" || (name == "minority" && c == minority) || (name == "majority" && c == majority) ||
                  (name == "not minority" && c != minority) || (name == "not majority" && c != majority);
    NABLA_CHECK(name == "all" || name == "minority" || name == "majority" || name == "not minority" ||
                    name == "not majority",
                who, ": unknown sampling_strategy '", s.name,
                "' (known: auto, minority, majority, not minority, not majority, all)");
    if (chosen) n = goal;
  }
  return t;
}

}  // namespace

std::map<int64_t, int64_t> RandomOverSampler::target_counts(const Tensor& y) const {
  return targets(strategy_, counts_of(y), true);
}

std::vector<int64_t> RandomOverSampler::fit_resample_indices(const Tensor& y) const {
  auto by_class = indices_by_class(y);
  auto want = target_counts(y);
  Generator g = generator_for(random_state_);
  std::vector<int64_t> out(size_t(y.size(0)));
  for (size_t i = 0; i < out.size(); ++i) out[i] = int64_t(i);
  for (auto& [c, idx] : by_class) {
    auto extra = draw(idx, want[c] - int64_t(idx.size()), true, g);
    out.insert(out.end(), extra.begin(), extra.end());
  }
  return out;
}

std::pair<Tensor, Tensor> RandomOverSampler::fit_resample(const Tensor& x, const Tensor& y) const {
  NABLA_CHECK_SHAPE(x.size(0) == y.size(0), "RandomOverSampler: x has ", x.size(0), " samples but y has ", y.size(0));
  auto idx = fit_resample_indices(y);
  return {gather_rows(x, idx), gather_rows(y, idx)};
}

std::map<int64_t, int64_t> RandomUnderSampler::target_counts(const Tensor& y) const {
  return targets(strategy_, counts_of(y), false);
}

std::vector<int64_t> RandomUnderSampler::fit_resample_indices(const Tensor& y) const {
  auto by_class = indices_by_class(y);
  auto want = target_counts(y);
  Generator g = generator_for(random_state_);
  std::vector<int64_t> out;
  for (auto& [c, idx] : by_class) {
    auto keep = draw(idx, want[c], replacement_, g);
    out.insert(out.end(), keep.begin(), keep.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::pair<Tensor, Tensor> RandomUnderSampler::fit_resample(const Tensor& x, const Tensor& y) const {
  NABLA_CHECK_SHAPE(x.size(0) == y.size(0), "RandomUnderSampler: x has ", x.size(0), " samples but y has ", y.size(0));
  auto idx = fit_resample_indices(y);
  return {gather_rows(x, idx), gather_rows(y, idx)};
}

}  // namespace nabla::data
