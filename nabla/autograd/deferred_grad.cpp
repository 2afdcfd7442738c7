#include "nabla/autograd/deferred_grad.h"

#include "nabla/core/parallel.h"

namespace nabla::autograd {

// The engine's side (takes_deferred_grad, can_defer_grad, defer_grad, deferred_grad) is in backward.cpp, next to
// the running node it reads.
Tensor DeferredGrad::materialize() const {
  Tensor out = make_tensor(shape_, dtype_);
  if (out.numel() == 0) return out;
  const int64_t items = shape_[0], item_bytes = int64_t(out.nbytes()) / items;
  auto* base = static_cast<char*>(out.raw_data());
  parallel_for(0, items, out.numel() / items, [&](int64_t s, int64_t e) { write_items(s, e, base + s * item_bytes); });
  return out;
}

}  // namespace nabla::autograd
