// autograd's gradient-ready hook (autograd/leaf_grad_hook.h): called once per leaf per backward, after the last
// op that reads the leaf has run its backward, with the final gradient in place.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "nabla/autograd/leaf_grad_hook.h"
#include "nabla/nabla.h"

using namespace nabla;

namespace {

struct Recorder : autograd::LeafGradHook {
  std::vector<TensorImpl*> order;
  std::vector<std::vector<float>> grads;  // the gradient as the hook saw it
  void on_leaf_grad_ready(TensorImpl& leaf) override {
    order.push_back(&leaf);
    grads.push_back(leaf.grad ? Tensor(leaf.grad).to_vector<float>() : std::vector<float>{});
  }
};

struct Install {
  explicit Install(autograd::LeafGradHook* h) { autograd::set_leaf_grad_hook(h); }
  ~Install() { autograd::set_leaf_grad_hook(nullptr); }
};

}  // namespace

TEST(LeafGradHook, CalledOncePerLeafWhenItsGradientIsFinalLastLayerFirst) {
  Tensor x = Tensor::from_vector<float>({1, 2}, {1, 2});
  Tensor w1 = Tensor::from_vector<float>({1, 0, 0, 1}, {2, 2}).requires_grad_();
  Tensor w2 = Tensor::from_vector<float>({2, 3}, {2, 1}).requires_grad_();
  Tensor shared = Tensor::from_vector<float>({0.5f}, {1}).requires_grad_();  // read by two ops
  Recorder rec;
  {
    Install hook(&rec);
    Tensor h = matmul(x, w1) * shared;        // first use of `shared`
    Tensor y = sum(matmul(h, w2) * shared);   // second use, nearer the loss
    y.backward();
  }
  ASSERT_EQ(rec.order.size(), 3u);
  EXPECT_EQ(rec.order[0], w2.impl());       // the last layer's weight is final first
  EXPECT_EQ(rec.order.back(), w1.impl());   // the first layer's last
  // `shared` was reported after both of its uses were accumulated: its hook-time gradient is the final one.
  for (size_t i = 0; i < rec.order.size(); ++i) {
    if (rec.order[i] == shared.impl()) {
      EXPECT_EQ(rec.grads[i], shared.grad().to_vector<float>());
    }
  }
  // d/ds of s^2 * (x w1 w2) = 2 s * 8 = 8.
  EXPECT_FLOAT_EQ(shared.grad().item(), 8.0f);
}

TEST(LeafGradHook, NotCalledWhenNotInstalledOrOnAnotherThread) {
  Tensor w = Tensor::from_vector<float>({1, 2}, {2}).requires_grad_();
  Recorder rec;
  sum(w * w).backward();  // none installed
  EXPECT_TRUE(rec.order.empty());
  Install hook(&rec);
  std::thread([&] { sum(w * w).backward(); }).join();  // per thread
  EXPECT_TRUE(rec.order.empty());
  sum(w * w).backward();
  EXPECT_EQ(rec.order.size(), 1u);
}
