#pragma once
// Helpers for the data pipeline tests.
#include <cstdint>
#include <vector>

#include "nabla/data/dataset.h"

namespace nabla::testing {

// The first component of every element, as integers (for datasets of scalars).
inline std::vector<int64_t> values(const data::Dataset& ds) {
  std::vector<int64_t> out;
  auto it = ds.make_iterator();
  while (auto e = it.next()) out.push_back(int64_t((*e)[0].item()));
  return out;
}

// The first component of every element flattened, one vector per element (for batched datasets).
inline std::vector<std::vector<int64_t>> rows(const data::Dataset& ds) {
  std::vector<std::vector<int64_t>> out;
  auto it = ds.make_iterator();
  while (auto e = it.next()) out.push_back((*e)[0].to_vector<int64_t>());
  return out;
}

inline std::vector<int64_t> iota(int64_t a, int64_t b) {
  std::vector<int64_t> v;
  for (int64_t i = a; i < b; ++i) v.push_back(i);
  return v;
}

}  // namespace nabla::testing
