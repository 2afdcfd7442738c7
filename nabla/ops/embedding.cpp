#include "nabla/ops/embedding.h"

#include <cmath>
#include <cstring>

#include "nabla/autograd/node.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

// "(1, 3)": the multi-index of flat position i in shape s.
std::string position(int64_t i, const Shape& s) {
  Shape idx;
  idx.resize(s.size(), 0);
  for (int d = s.size() - 1; d >= 0; --d) {
    idx[d] = s[d] ? i % s[d] : 0;
    i = s[d] ? i / s[d] : 0;
  }
  return idx.str();
}

// The indices as int64, each checked against [0, vocab).
Tensor checked_indices(const Tensor& indices, int64_t vocab) {
  Tensor idx = make_tensor(indices.shape(), i64);
  int64_t* out = idx.data<int64_t>();
  Tensor src = indices.contiguous();
  int64_t n = src.numel();
  NABLA_DISPATCH_ALL(src.dtype(), T, {
    const T* p = src.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      double v = double(p[i]);
      if (!(v >= 0 && v < double(vocab)) || std::floor(v) != v)
        throw ValueError(detail::concat("embedding: index ", v, " at position ", position(i, src.shape()),
                                        " is out of range for an embedding of input_dim ", vocab,
                                        " (valid: 0..", vocab - 1, ")"));
      out[i] = int64_t(p[i]);
    }
  });
  return idx;
}

}  // namespace

Tensor embedding(const Tensor& table0, const Tensor& indices) {
  NABLA_CHECK_SHAPE(table0.dim() == 2, "embedding: table must be [input_dim, output_dim], got shape ",
                    table0.shape().str());
  NABLA_CHECK(is_floating(table0.dtype()), "embedding: table must be floating, got ", dtype_name(table0.dtype()));
  int64_t vocab = table0.size(0), dim = table0.size(1);
  Tensor idx = checked_indices(indices, vocab);
  Tensor table = table0.contiguous();
  Shape s = indices.shape();
  s.push_back(dim);
  Tensor out = make_tensor(s, table.dtype());
  size_t row_bytes = size_t(dim) * dtype_size(table.dtype());
  const char* src = static_cast<const char*>(table.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  const int64_t* ip = idx.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i)
    std::memcpy(dst + size_t(i) * row_bytes, src + size_t(ip[i]) * row_bytes, row_bytes);
  return record(out, "embedding", {&table0}, [&] {
    return [idx, vocab, dim, dt = table.dtype()](const Tensor& g0, GradList& gi) {
      Tensor g = g0.contiguous();
      Tensor r = Tensor::zeros(Shape{vocab, dim}, dt);
      const int64_t* p = idx.data<int64_t>();
      NABLA_DISPATCH_FLOAT(dt, T, {
        T* rp = r.data<T>();
        const T* gp = g.data<T>();
        for (int64_t i = 0; i < idx.numel(); ++i)
          for (int64_t j = 0; j < dim; ++j) rp[p[i] * dim + j] += gp[i * dim + j];
      });
      gi[0] = r;
    };
  });
}

}  // namespace nabla
