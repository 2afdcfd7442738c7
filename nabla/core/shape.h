#pragma once
// Shape: up to 8 dimensions stored inline, so making a tensor never allocates for its shape.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "nabla/core/error.h"

namespace nabla {

class Shape {
 public:
  static constexpr int kMaxDims = 8;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.end()); }
  explicit Shape(const std::vector<int64_t>& dims) { assign(dims.begin(), dims.end()); }
  template <class It>
  Shape(It first, It last) { assign(first, last); }

  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  const int64_t* begin() const { return d_; }
  const int64_t* end() const { return d_ + n_; }
  int64_t* begin() { return d_; }
  int64_t* end() { return d_ + n_; }
  int64_t back() const { return d_[n_ - 1]; }
  void push_back(int64_t v) {
    NABLA_CHECK(n_ < kMaxDims, "nabla supports at most ", kMaxDims, " dimensions");
    d_[n_++] = v;
  }
  void insert(int pos, int64_t v) {
    push_back(0);
    for (int i = n_ - 1; i > pos; --i) d_[i] = d_[i - 1];
    d_[pos] = v;
  }
  void erase(int pos) {
    for (int i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
    --n_;
  }
  void resize(int n, int64_t fill = 1) {
    NABLA_CHECK(n <= kMaxDims, "nabla supports at most ", kMaxDims, " dimensions");
    for (int i = n_; i < n; ++i) d_[i] = fill;
    n_ = n;
  }
  // The product of the dimensions. Throws ShapeError if the shape is too large to index (see checked_product).
  int64_t numel() const {
    int64_t n = 1;
    bool overflow = false;
    for (int i = 0; i < n_; ++i) overflow |= __builtin_mul_overflow(n, d_[i], &n);
    if (overflow) throw_too_large();
    return n;
  }
  // False if the product of the non-zero dimensions does not fit int64. That product bounds every element count,
  // stride and partial product (outer/inner sizes) computed from the shape, so a shape that passes never
  // overflows them; zeros are left out because a zero must not hide huge dimensions beside it: strides of
  // (20, 0, 2^27, 2^20, 2^20) still multiply the non-zero dimensions.
  bool fits_int64() const {
    int64_t n = 1;
    for (int i = 0; i < n_; ++i)
      if (d_[i] != 0 && __builtin_mul_overflow(n, d_[i], &n)) return false;
    return true;
  }
  // Throws ShapeError unless fits_int64(); every tensor shape goes through this (make_tensor, make_view,
  // contiguous_strides, reshape).
  void check_fits_int64() const {
    if (!fits_int64()) throw_too_large();
  }
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  // Normalises a possibly negative axis; throws if out of range.
  int axis(int a) const {
    int r = a < 0 ? a + n_ : a;
    NABLA_CHECK(r >= 0 && r < n_, "axis ", a, " out of range for shape ", str());
    return r;
  }
  std::string str() const {
    std::string s = "(";
    for (int i = 0; i < n_; ++i) {
      if (i) s += ", ";
      s += d_[i] < 0 ? std::string("None") : std::to_string(d_[i]);
    }
    if (n_ == 1) s += ",";
    return s + ")";
  }
  friend bool operator==(const Shape& a, const Shape& b) {
    return a.n_ == b.n_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  [[noreturn]] void throw_too_large() const {
    throw ShapeError(detail::concat("shape ", str(), " is too large: the product of its non-zero dimensions ",
                                    "does not fit int64, so its element count or strides would overflow"));
  }
  template <class It>
  void assign(It first, It last) {
    n_ = 0;
    for (; first != last; ++first) push_back(static_cast<int64_t>(*first));
  }
  int64_t d_[kMaxDims] = {};
  int n_ = 0;
};

inline std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

// Contiguous (row-major) strides for a shape, in elements. Throws ShapeError for a shape too large to index.
inline Shape contiguous_strides(const Shape& s) {
  s.check_fits_int64();  // then no suffix product below can overflow
  Shape st;
  st.resize(s.size());
  int64_t acc = 1;
  for (int i = s.size() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

// Result shape of broadcasting a with b (NumPy rules); throws naming both shapes.
inline Shape broadcast_shapes(const Shape& a, const Shape& b) {
  int n = std::max(a.size(), b.size());
  Shape r;
  r.resize(n);
  for (int i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    NABLA_CHECK_SHAPE(da == db || da == 1 || db == 1, "shapes ", a.str(), " and ", b.str(),
                      " cannot be broadcast together");
    r[i] = da == 1 ? db : da;
  }
  return r;
}

}  // namespace nabla
