#pragma once
// Tensor: a reference-counted handle to (storage, offset, shape, strides, dtype) plus autograd metadata.
// Copying a Tensor copies the handle (as in PyTorch); views share storage. The differentiable member
// functions (reshape, transpose, sum, ...) are thin wrappers over the free functions in nabla/ops, where each
// op's forward and backward live together.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/allocator.h"
#include "nabla/core/dtype.h"
#include "nabla/core/shape.h"

namespace nabla {

namespace autograd {
struct Node;
}
class Generator;

struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  explicit Storage(size_t n) : data(detail::cached_alloc(n)), nbytes(n) {}
  ~Storage() { detail::cached_free(data, nbytes); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  Shape strides;       // in elements
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;               // accumulated gradient of a leaf
  std::shared_ptr<autograd::Node> grad_fn;        // the op that produced this tensor, if recorded
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories ----
  static Tensor empty(const Shape& shape, DType dtype = f32);
  static Tensor zeros(const Shape& shape, DType dtype = f32);
  static Tensor ones(const Shape& shape, DType dtype = f32);
  static Tensor full(const Shape& shape, double value, DType dtype = f32);
  static Tensor scalar(double value, DType dtype = f32);
  static Tensor arange(int64_t n, DType dtype = i64);
  template <class T>
  static Tensor from_vector(const std::vector<T>& v, const Shape& shape);
  template <class T>
  static Tensor from_vector(const std::vector<T>& v) { return from_vector(v, Shape{int64_t(v.size())}); }
  static Tensor uniform(const Shape& shape, double lo, double hi, DType dtype = f32, Generator* gen = nullptr);
  static Tensor normal(const Shape& shape, double mean = 0, double stddev = 1, DType dtype = f32,
                       Generator* gen = nullptr);
  static Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype()); }
  static Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int dim() const { return impl_->shape.size(); }
  int64_t size(int axis) const { return impl_->shape[impl_->shape.axis(axis)]; }
  int64_t numel() const { return impl_->shape.numel(); }
  DType dtype() const { return impl_->dtype; }
  int64_t offset() const { return impl_->offset; }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype()); }
  bool is_contiguous() const;
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }
  bool shares_storage(const Tensor& o) const { return impl_->storage == o.impl_->storage; }

  // ---- data access (the caller must know the dtype) ----
  template <class T>
  T* data() const {
    NABLA_CHECK(dtype_of<T>() == dtype(), "tensor has dtype ", dtype_name(dtype()), ", accessed as ",
                dtype_name(dtype_of<T>()));
    return static_cast<T*>(impl_->storage->data) + impl_->offset;
  }
  void* raw_data() const {
    return static_cast<char*>(impl_->storage->data) + impl_->offset * int64_t(dtype_size(dtype()));
  }
  double item() const;  // value of a one-element tensor, as double
  template <class T>
  std::vector<T> to_vector() const;  // copies out (converting dtype), in row-major order

  // ---- non-differentiable conversions ----
  Tensor contiguous() const;                // self if already contiguous
  Tensor clone() const;                     // always a fresh contiguous copy
  Tensor to(DType dtype) const;             // converts (copy); self if same dtype
  Tensor detach() const;                    // shares storage, no autograd history
  void copy_(const Tensor& src);            // elementwise copy into self (shapes must match)
  void fill_(double value);

  // ---- views (differentiable; defined in nabla/ops/shape_ops.cpp) ----
  Tensor reshape(const Shape& shape) const;  // -1 allowed once
  Tensor flatten(int start_dim = 0) const;
  Tensor transpose(int a, int b) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor slice(int axis, int64_t start, int64_t end) const;
  Tensor operator[](int64_t i) const;       // selects index i along axis 0

  // ---- reductions (differentiable; nabla/ops/reduce.cpp) ----
  Tensor sum() const;
  Tensor mean() const;
  Tensor max() const;     // 0-d; see nabla::max
  Tensor min() const;
  Tensor argmax() const;  // int64 0-d index into the flattened tensor

  // ---- autograd ----
  bool requires_grad() const { return impl_->requires_grad; }
  Tensor& requires_grad_(bool on = true);
  Tensor grad() const { return impl_->grad ? Tensor(impl_->grad) : Tensor(); }
  void set_grad(const Tensor& g) { impl_->grad = g.impl_; }
  void zero_grad() { impl_->grad.reset(); }
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl_->grad_fn; }
  bool is_leaf() const { return impl_->grad_fn == nullptr; }
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;

  // As PyTorch prints it: tensor([[0.1000, 2.0000], ...], shape=(2, 2), dtype=float32), with the middle of long
  // dimensions elided as "..." beyond print_options().threshold elements (nabla/core/tensor_print.h).
  std::string str() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Makes a tensor over fresh storage (uninitialised).
Tensor make_tensor(const Shape& shape, DType dtype);
// A view over t's storage with the given geometry (no autograd).
Tensor make_view(const Tensor& t, const Shape& shape, const Shape& strides, int64_t offset);

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& v, const Shape& shape) {
  NABLA_CHECK(int64_t(v.size()) == shape.numel(), "from_vector: ", v.size(), " values do not fill shape ",
              shape.str());
  Tensor t = make_tensor(shape, dtype_of<T>());
  if (!v.empty()) std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(T));
  return t;
}

}  // namespace nabla
