#pragma once
// imbalanced-learn's RandomOverSampler and RandomUnderSampler: rebalance (x, y) by repeating minority samples
// or dropping majority ones, until each class reaches the count its sampling strategy asks for.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::data {

// What to resample to, as imblearn's sampling_strategy:
//  - a name: "auto" (over: "not majority"; under: "not minority"), "minority", "majority", "not minority",
//    "not majority", "all" — the named classes are brought to the majority's (over) or minority's (under) count;
//  - a ratio (two classes only): the minority's count over the majority's after resampling;
//  - counts per class: the target count of each class named (others are left as they are).
struct SamplingStrategy {
  std::string name = "auto";
  double ratio = 0;
  std::map<int64_t, int64_t> counts;
  SamplingStrategy() = default;
  SamplingStrategy(const char* n) : name(n) {}
  SamplingStrategy(std::string n) : name(std::move(n)) {}
  SamplingStrategy(double r) : name(), ratio(r) {}
  SamplingStrategy(std::map<int64_t, int64_t> c) : name(), counts(std::move(c)) {}
};

class RandomOverSampler {
 public:
  explicit RandomOverSampler(SamplingStrategy strategy = {}, std::optional<uint64_t> random_state = {})
      : strategy_(std::move(strategy)), random_state_(random_state) {}
  // The count each class will have.
  std::map<int64_t, int64_t> target_counts(const Tensor& y) const;
  // All original rows in order, then the repeated ones (drawn with replacement within each class).
  std::vector<int64_t> fit_resample_indices(const Tensor& y) const;
  std::pair<Tensor, Tensor> fit_resample(const Tensor& x, const Tensor& y) const;

 private:
  SamplingStrategy strategy_;
  std::optional<uint64_t> random_state_;
};

class RandomUnderSampler {
 public:
  explicit RandomUnderSampler(SamplingStrategy strategy = {}, std::optional<uint64_t> random_state = {},
                              bool replacement = false)
      : strategy_(std::move(strategy)), random_state_(random_state), replacement_(replacement) {}
  std::map<int64_t, int64_t> target_counts(const Tensor& y) const;
  // The kept rows, in their original order.
  std::vector<int64_t> fit_resample_indices(const Tensor& y) const;
  std::pair<Tensor, Tensor> fit_resample(const Tensor& x, const Tensor& y) const;

 private:
  SamplingStrategy strategy_;
  std::optional<uint64_t> random_state_;
  bool replacement_;
};

}  // namespace nabla::data
