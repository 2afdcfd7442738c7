#include "nabla/core/tensor.h"

#include <cmath>
#include <ostream>

#include "nabla/core/parallel.h"
#include "nabla/core/random.h"
#include "nabla/core/strided.h"
#include "nabla/core/tensor_print.h"

namespace nabla {

Tensor make_tensor(const Shape& shape, DType dtype) {
  for (int64_t d : shape) NABLA_CHECK(d >= 0, "negative dimension in shape ", shape.str());
  shape.check_fits_int64();
  // The byte count must fit too (nbytes() and pointer arithmetic use it); no allocation could be that large.
  int64_t nbytes = 0;
  NABLA_CHECK_SHAPE(!__builtin_mul_overflow(shape.numel(), int64_t(dtype_size(dtype)), &nbytes), "shape ",
                    shape.str(), " of ", dtype_name(dtype), " is too large: its size in bytes does not fit int64");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(size_t(nbytes));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset) {
  // Views such as expand can name shapes far larger than their storage; their element count must still fit.
  shape.check_fits_int64();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.impl()->storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = t.dtype();
  return Tensor(std::move(impl));
}

Tensor Tensor::empty(const Shape& shape, DType dtype) { return make_tensor(shape, dtype); }

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = make_tensor(shape, dtype);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = make_tensor(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor Tensor::scalar(double value, DType dtype) { return full(Shape{}, value, dtype); }

Tensor Tensor::arange(int64_t n, DType dtype) {
  Tensor t = make_tensor(Shape{n}, dtype);
  NABLA_DISPATCH_ALL(dtype, T, {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = T(i);
  });
  return t;
}

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, DType dtype, Generator* gen) {
  Generator& g = gen ? *gen : default_generator();
  Tensor t = make_tensor(shape, dtype);
  NABLA_DISPATCH_FLOAT(dtype, T, {
    T* p = t.data<T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = T(g.uniform(lo, hi));
  });
  return t;
}

Tensor Tensor::normal(const Shape& shape, double mean, double stddev, DType dtype, Generator* gen) {
  Generator& g = gen ? *gen : default_generator();
  Tensor t = make_tensor(shape, dtype);
  NABLA_DISPATCH_FLOAT(dtype, T, {
    T* p = t.data<T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = T(mean + stddev * g.normal());
  });
  return t;
}

bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  const Shape& s = shape();
  for (int i = s.size() - 1; i >= 0; --i) {
    if (s[i] != 1 && strides()[i] != expect) return false;
    expect *= s[i];
  }
  return true;
}

namespace {

// dst (contiguous or not) = src converted, both of the same shape.
void strided_convert(const Tensor& dst, const Tensor& src) {
  NABLA_DISPATCH_ALL(dst.dtype(), D, {
    NABLA_DISPATCH_ALL(src.dtype(), S, {
      D* d = static_cast<D*>(dst.raw_data());
      const S* s = static_cast<const S*>(src.raw_data());
      if (dst.is_contiguous() && src.is_contiguous()) {
        // Whole datasets pass through here (images.to(f32), numpy's float64 into a model): split over the threads,
        // each element converted alone, so the result is the same at every thread count.
        parallel_for(0, dst.numel(), int64_t(sizeof(D) + sizeof(S)), [&](int64_t b, int64_t e) {
          if constexpr (std::is_same_v<D, S>) {
            std::memcpy(d + b, s + b, size_t(e - b) * sizeof(D));
          } else {
            for (int64_t i = b; i < e; ++i) d[i] = D(s[i]);
          }
        });
      } else {
        StridedIter<2> it{dst.shape(), {dst.strides(), src.strides()}};
        it.for_each([&](const std::array<int64_t, 2>& o) { d[o[0]] = D(s[o[1]]); });
      }
    });
  });
}

}  // namespace

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor t = make_tensor(shape(), dtype());
  strided_convert(t, *this);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = make_tensor(shape(), dtype());
  strided_convert(t, *this);
  return t;
}

Tensor Tensor::to(DType dt) const {
  if (dt == dtype()) return *this;
  Tensor t = make_tensor(shape(), dt);
  strided_convert(t, *this);
  return t;
}

Tensor Tensor::detach() const { return make_view(*this, shape(), strides(), offset()); }

void Tensor::copy_(const Tensor& src) {
  NABLA_CHECK_SHAPE(src.shape() == shape(), "copy_: source shape ", src.shape().str(),
                    " does not match destination shape ", shape().str());
  strided_convert(*this, src);
}

void Tensor::fill_(double value) {
  NABLA_DISPATCH_ALL(dtype(), T, {
    T* p = static_cast<T*>(raw_data());
    T v = T(value);
    if (is_contiguous()) {
      for (int64_t i = 0, n = numel(); i < n; ++i) p[i] = v;
    } else {
      StridedIter<1> it{shape(), {strides()}};
      it.for_each([&](const std::array<int64_t, 1>& o) { p[o[0]] = v; });
    }
  });
}

double Tensor::item() const {
  NABLA_CHECK(numel() == 1, "item(): tensor of shape ", shape().str(), " has ", numel(), " elements, not 1");
  double r = 0;
  NABLA_DISPATCH_ALL(dtype(), T, { r = double(*static_cast<const T*>(raw_data())); });
  return r;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = to(dtype_of<T>()).contiguous();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;

Tensor& Tensor::requires_grad_(bool on) {
  NABLA_CHECK(!on || is_floating(dtype()), "only floating tensors can require gradients (dtype is ",
              dtype_name(dtype()), ")");
  impl_->requires_grad = on;
  return *this;
}

std::string Tensor::str() const { return tensor_str(*this); }

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace nabla
