#include "nabla/ops/shape_ops.h"

#include <cstring>

#include "nabla/autograd/node.h"
#include "nabla/kernels/elementwise.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

Tensor reshape(const Tensor& x, const Shape& shape0) {
  Shape shape = shape0;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      NABLA_CHECK_SHAPE(infer < 0, "reshape: more than one -1 in ", shape0.str());
      infer = i;
    } else {
      NABLA_CHECK_SHAPE(shape[i] >= 0, "reshape: negative dimension in ", shape0.str());
      // Overflow would make the element count check below meaningless.
      NABLA_CHECK_SHAPE(!__builtin_mul_overflow(known, shape[i], &known), "cannot reshape tensor of shape ",
                        x.shape().str(), " into ", shape0.str(), ": the element count overflows int64");
    }
  }
  if (infer >= 0) {
    NABLA_CHECK_SHAPE(known > 0 && x.numel() % known == 0, "cannot reshape tensor of shape ", x.shape().str(),
                      " into ", shape0.str());
    shape[infer] = x.numel() / known;
  }
  NABLA_CHECK_SHAPE(shape.numel() == x.numel(), "cannot reshape tensor of shape ", x.shape().str(), " (",
                    x.numel(), " elements) into ", shape0.str());
  Tensor c = x.contiguous();
  Tensor out = make_view(c, shape, contiguous_strides(shape), c.offset());
  return record(out, "reshape", {&x}, [&] {
    return [in_shape = x.shape()](const Tensor& g, GradList& gi) { gi[0] = reshape(g, in_shape); };
  });
}

Tensor permute(const Tensor& x, const std::vector<int>& axes) {
  NABLA_CHECK_SHAPE(int(axes.size()) == x.dim(), "permute: ", axes.size(), " axes for a tensor of shape ",
                    x.shape().str());
  Shape s, st;
  std::vector<int> inverse(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    int a = x.shape().axis(axes[i]);
    s.push_back(x.shape()[a]);
    st.push_back(x.strides()[a]);
    inverse[a] = int(i);
  }
  return record(make_view(x, s, st, x.offset()), "permute", {&x}, [&] {
    return [inverse](const Tensor& g, GradList& gi) { gi[0] = permute(g, inverse); };
  });
}

Tensor transpose(const Tensor& x, int a, int b) {
  std::vector<int> axes(x.dim());
  for (int i = 0; i < x.dim(); ++i) axes[i] = i;
  std::swap(axes[x.shape().axis(a)], axes[x.shape().axis(b)]);
  return permute(x, axes);
}

Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end) {
  axis = x.shape().axis(axis);
  int64_t n = x.shape()[axis];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape s = x.shape();
  s[axis] = end - start;
  Tensor out = make_view(x, s, x.strides(), x.offset() + start * x.strides()[axis]);
  return record(out, "slice", {&x}, [&] {
    return [in_shape = x.shape(), dt = x.dtype(), axis, start, end](const Tensor& g, GradList& gi) {
      Tensor r = Tensor::zeros(in_shape, dt);
      Shape s2 = in_shape;
      s2[axis] = end - start;
      make_view(r, s2, r.strides(), start * r.strides()[axis]).copy_(g);
      gi[0] = r;
    };
  });
}

Tensor select(const Tensor& x, int axis, int64_t index) {
  axis = x.shape().axis(axis);
  int64_t n = x.shape()[axis];
  NABLA_CHECK(index >= -n && index < n, "index ", index, " is out of bounds for axis ", axis, " with size ", n);
  if (index < 0) index += n;
  Tensor s = slice(x, axis, index, index + 1);
  return squeeze(s, axis);
}

Tensor squeeze(const Tensor& x, int axis) {
  axis = x.shape().axis(axis);
  NABLA_CHECK_SHAPE(x.shape()[axis] == 1, "squeeze: axis ", axis, " of shape ", x.shape().str(), " is not 1");
  Shape s = x.shape(), st = x.strides();
  s.erase(axis);
  st.erase(axis);
  return record(make_view(x, s, st, x.offset()), "squeeze", {&x}, [&] {
    return [axis](const Tensor& g, GradList& gi) { gi[0] = unsqueeze(g, axis); };
  });
}

Tensor unsqueeze(const Tensor& x, int axis) {
  if (axis < 0) axis += x.dim() + 1;
  NABLA_CHECK(axis >= 0 && axis <= x.dim(), "unsqueeze: axis out of range for shape ", x.shape().str());
  Shape s = x.shape(), st = x.strides();
  s.insert(axis, 1);
  st.insert(axis, axis < x.dim() ? x.strides()[axis] * x.shape()[axis] : 1);
  return record(make_view(x, s, st, x.offset()), "unsqueeze", {&x}, [&] {
    return [axis](const Tensor& g, GradList& gi) { gi[0] = squeeze(g, axis); };
  });
}

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  NABLA_CHECK(!xs.empty(), "concat of an empty list");
  axis = xs[0].shape().axis(axis);
  Shape s = xs[0].shape();
  int64_t total = 0;
  for (const Tensor& t : xs) {
    NABLA_CHECK_SHAPE(t.dim() == s.size(), "concat: shapes ", xs[0].shape().str(), " and ", t.shape().str(),
                      " differ in rank");
    for (int i = 0; i < s.size(); ++i)
      NABLA_CHECK_SHAPE(i == axis || t.shape()[i] == s[i], "concat along axis ", axis, ": shapes ",
                        xs[0].shape().str(), " and ", t.shape().str(), " differ elsewhere");
    NABLA_CHECK(t.dtype() == xs[0].dtype(), "concat: dtypes differ");
    total += t.shape()[axis];
  }
  s[axis] = total;
  Tensor out = make_tensor(s, xs[0].dtype());
  int64_t pos = 0;
  std::vector<int64_t> sizes;
  for (const Tensor& t : xs) {
    Shape part = s;
    part[axis] = t.shape()[axis];
    make_view(out, part, out.strides(), pos * out.strides()[axis]).copy_(t);
    sizes.push_back(t.shape()[axis]);
    pos += t.shape()[axis];
  }
  bool need = false;
  for (const Tensor& t : xs) need |= t.requires_grad();
  if (need && GradMode::is_enabled()) {
    autograd::attach(out, "concat", xs, [sizes, axis](const Tensor& g, GradList& gi) {
      int64_t p = 0;
      for (size_t i = 0; i < sizes.size(); ++i) {
        gi[i] = slice(g, axis, p, p + sizes[i]).contiguous();
        p += sizes[i];
      }
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int axis) {
  std::vector<Tensor> us;
  for (const Tensor& t : xs) us.push_back(unsqueeze(t, axis));
  return concat(us, axis);
}

Tensor take_rows(const Tensor& x0, const Tensor& indices) {
  Tensor x = x0.contiguous();
  Tensor idx = indices.to(i64).contiguous();
  int64_t n = idx.numel(), rows = x.dim() ? x.size(0) : 0;
  Shape s = x.shape();
  s[0] = n;
  Tensor out = make_tensor(s, x.dtype());
  int64_t row_bytes = x.numel() && rows ? int64_t(x.nbytes()) / rows : 0;
  const int64_t* ip = idx.data<int64_t>();
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  for (int64_t i = 0; i < n; ++i) {
    NABLA_CHECK(ip[i] >= 0 && ip[i] < rows, "take_rows: index ", ip[i], " at position ", i,
                " is out of range for ", rows, " rows");
    std::memcpy(dst + i * row_bytes, src + ip[i] * row_bytes, size_t(row_bytes));
  }
  return record(out, "take_rows", {&x0}, [&] {
    return [idx, in_shape = x0.shape(), dt = x0.dtype()](const Tensor& g0, GradList& gi) {
      Tensor r = Tensor::zeros(in_shape, dt);
      Tensor g = g0.contiguous();
      int64_t m = in_shape.numel() / std::max<int64_t>(in_shape[0], 1);
      const int64_t* p = idx.data<int64_t>();
      NABLA_DISPATCH_FLOAT(dt, T, {
        T* rp = r.data<T>();
        const T* gp = g.data<T>();
        for (int64_t i = 0; i < idx.numel(); ++i)
          for (int64_t j = 0; j < m; ++j) rp[p[i] * m + j] += gp[i * m + j];
      });
      gi[0] = r;
    };
  });
}

Tensor take_rows(const Tensor& x, const std::vector<int64_t>& indices) {
  return take_rows(x, Tensor::from_vector(indices));
}

// Tensor's differentiable view members.
Tensor Tensor::reshape(const Shape& s) const { return nabla::reshape(*this, s); }
Tensor Tensor::transpose(int a, int b) const { return nabla::transpose(*this, a, b); }
Tensor Tensor::slice(int axis, int64_t start, int64_t end) const { return nabla::slice(*this, axis, start, end); }
Tensor Tensor::operator[](int64_t i) const { return nabla::select(*this, 0, i); }
Tensor Tensor::flatten(int start_dim) const {
  start_dim = start_dim < 0 ? start_dim + dim() : start_dim;
  Shape s(shape().begin(), shape().begin() + start_dim);
  s.push_back(-1);
  return nabla::reshape(*this, s);
}

}  // namespace nabla
