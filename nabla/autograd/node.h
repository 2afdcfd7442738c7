#pragma once
// The recorded graph. Each differentiable op calls autograd::record() with its output, its inputs and a
// small backward lambda (Flashlight's shape): the lambda receives dL/d(output) and fills dL/d(input_i).
// Lambdas capture only what backward reads (often a detached output or input), never the output handle
// itself, so the graph holds no cycles.
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/tensor.h"

namespace nabla::autograd {

using GradList = std::vector<Tensor>;
using BackwardFn = std::function<void(const Tensor& grad_out, GradList& grad_inputs)>;

class DeferredGrad;  // autograd/deferred_grad.h

struct Node {
  const char* name = "";                          // op name, e.g. "matmul"
  std::shared_ptr<const std::string> scope;       // layer path active when the op ran ("sequential/dense")
  std::vector<std::shared_ptr<TensorImpl>> inputs;  // edges to the inputs (leaves or other nodes' outputs)
  BackwardFn backward;
  Shape out_shape;
  Tensor grad;                                    // dL/d(output), accumulated while backward runs
  bool released = false;
  // A relu fused into this op (conv2d_relu, dense relu): its backward applies relu's mask to the incoming
  // gradient, unless the one consumer of its output already did (see sole_relu_input / relu_mask_applied).
  bool relu_output = false;
  int consumers = 0;          // gradient contributions expected in the running backward pass
  bool relu_applied = false;  // the gradient received was already masked by relu
  // Its backward can read its gradient in compact form, and the one it received (see autograd/deferred_grad.h).
  bool takes_deferred_grad = false;
  std::shared_ptr<const DeferredGrad> deferred_grad;
};

// Observer hooks, installed by debug/ (numerics checking): called after every op's forward and backward.
struct OpObserver {
  virtual ~OpObserver() = default;
  virtual void on_forward(const char* op, const std::string& scope, const std::vector<Tensor>& inputs,
                          const Tensor& output) = 0;
  virtual void on_backward(const Node& node, const GradList& grad_inputs) = 0;
};
void set_op_observer(OpObserver* obs);  // nullptr removes
OpObserver* op_observer();
// True on a thread while backward() runs: ops called inside gradient formulas also notify on_forward, and an
// observer may want to tell them apart from the model's forward ops.
bool in_backward();

// Layer path scope: Layer::call pushes its name so ops record where they ran.
class NameScope {
 public:
  explicit NameScope(const std::string& name);
  ~NameScope();
  NameScope(const NameScope&) = delete;
  NameScope& operator=(const NameScope&) = delete;
  static const std::shared_ptr<const std::string>& current();

 private:
  std::shared_ptr<const std::string> prev_;
};

inline bool any_requires_grad(std::initializer_list<const Tensor*> ts) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : ts)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

void attach(Tensor& out, const char* name, std::initializer_list<const Tensor*> inputs, BackwardFn fn);
void attach(Tensor& out, const char* name, const std::vector<Tensor>& inputs, BackwardFn fn);
void notify_forward(const char* name, std::initializer_list<const Tensor*> inputs, const Tensor& out);

// Records `out` as produced by `name` from `inputs`. make_backward() builds the BackwardFn and is only called
// when some input requires a gradient, so ops pay nothing for autograd in inference.
template <class MakeBackward>
Tensor record(Tensor out, const char* name, std::initializer_list<const Tensor*> inputs,
              MakeBackward&& make_backward) {
  if (any_requires_grad(inputs)) attach(out, name, inputs, make_backward());
  if (op_observer()) notify_forward(name, inputs, out);
  return out;
}

// Runs backward from root. grad defaults to ones for a one-element root.
void backward(const Tensor& root, const Tensor& grad = Tensor(), bool retain_graph = false);

// Fusing a relu's gradient into the next op's backward, for ops whose gradient is cheaper to mask on their side
// (max pooling masks its pooled gradient, a quarter of the size, instead of the producer masking the full one).
// Valid only while a node's backward runs, about that node's input k:
// - sole_relu_input(k): the input is the output of an op with a fused relu, and this node's gradient is the only
//   one it will receive in this pass (one consumer, not the root, no observer watching gradients);
// - relu_mask_applied(k): this node applied relu's mask (where the input is <= 0, gradient 0) to the gradient
//   it sends to input k, so the producer skips its own mask;
// - relu_already_applied(): the running node's incoming gradient was masked that way.
bool sole_relu_input(size_t k);
// Marks `out` (just recorded) as the output of an op whose backward honours relu_already_applied().
inline Tensor relu_output(Tensor out) {
  if (out.grad_fn()) out.grad_fn()->relu_output = true;
  return out;
}
void relu_mask_applied(size_t k);
bool relu_already_applied();

// Adds g into t's .grad (allocating it on first use).
void accumulate_grad(TensorImpl& leaf, const Tensor& g);

}  // namespace nabla::autograd
