#pragma once
// Gradient-ready hook: called during backward() as soon as a leaf's gradient for this pass is final, i.e. every
// recorded op that reads the leaf has run its backward. Data-parallel training (dist/) installs one to start
// averaging a bucket of gradients across processes while backward is still computing the rest (Horovod's and
// PyTorch DDP's overlap). Generic: autograd knows nothing of what the hook does.
#include "nabla/core/tensor.h"

namespace nabla::autograd {

struct LeafGradHook {
  virtual ~LeafGradHook() = default;
  // leaf.grad holds the accumulated gradient (it may be unset when no gradient reached the leaf).
  virtual void on_leaf_grad_ready(TensorImpl& leaf) = 0;
};

// Per thread: the hook sees the backward passes run on the thread that installed it. nullptr removes.
void set_leaf_grad_hook(LeafGradHook* hook);
LeafGradHook* leaf_grad_hook();

}  // namespace nabla::autograd
