#pragma once
// A gradient handed from a node's backward to the producer of its input in a compact form, written out where
// the producer reads it. Max pooling's gradient is its pooled gradient scattered to each window's winner: a
// convolution that needs only its weight gradient reads it a few images at a time, so the full-size gradient
// (the Fashion-MNIST CNN's conv 1: 128x26x26x32 floats, 11 MB a step) is never written to memory and read back.
//
// Protocol, while a node's backward runs (autograd/node.h, backward.cpp):
// - the producer of an input marks its node with takes_deferred_grad() when its backward reads
//   deferred_grad();
// - a consumer asks can_defer_grad(k) (the producer takes it, and this consumer's gradient is the only one it
//   will receive in this pass, with no observer watching gradients), then calls defer_grad(k, grad) instead of
//   filling grad_inputs[k];
// - the producer's backward then runs with an undefined grad_out, and deferred_grad() returns the gradient.
#include <cstdint>
#include <memory>

#include "nabla/core/tensor.h"

namespace nabla::autograd {

class DeferredGrad {
 public:
  DeferredGrad(Shape shape, DType dtype) : shape_(std::move(shape)), dtype_(dtype) {}
  virtual ~DeferredGrad() = default;
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  // Writes items [begin, end) of the gradient (along dimension 0, contiguous) to dst, which holds
  // (end - begin) items. Called from several threads at once on disjoint ranges.
  virtual void write_items(int64_t begin, int64_t end, void* dst) const = 0;
  // The whole gradient as a tensor (items written in parallel).
  Tensor materialize() const;

 private:
  Shape shape_;
  DType dtype_;
};

// Marks `out` (just recorded) as the output of an op whose backward reads deferred_grad().
Tensor takes_deferred_grad(Tensor out);
bool can_defer_grad(size_t k);
void defer_grad(size_t k, std::shared_ptr<const DeferredGrad> grad);
// The running node's gradient, when its consumer deferred it; else null.
const DeferredGrad* deferred_grad();

}  // namespace nabla::autograd
