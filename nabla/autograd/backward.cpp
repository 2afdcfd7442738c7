// The backward pass: topological order over the recorded nodes, then each node's lambda in reverse order,
// accumulating gradients into downstream nodes and into the .grad of leaves.
#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include "nabla/autograd/deferred_grad.h"
#include "nabla/autograd/leaf_grad_hook.h"
#include "nabla/autograd/node.h"
#include "nabla/kernels/elementwise.h"

namespace nabla::autograd {
namespace {

std::atomic<OpObserver*> g_observer{nullptr};

thread_local bool t_in_backward = false;
thread_local Node* t_running = nullptr;  // the node whose backward runs (relu mask fusion)
thread_local LeafGradHook* t_leaf_hook = nullptr;

std::shared_ptr<const std::string>& scope_slot() {
  thread_local std::shared_ptr<const std::string> s;
  return s;
}

void add_into(Tensor& acc, const Tensor& g) {
  if (!acc.defined()) {
    // Take ownership of g when nobody else can see it; otherwise copy so that later in-place
    // accumulation never writes into a tensor the user holds.
    acc = g.impl_ptr().use_count() == 1 && g.is_contiguous() ? g : g.contiguous().clone();
    return;
  }
  NABLA_CHECK_SHAPE(acc.shape() == g.shape(), "gradient shape ", g.shape().str(),
                    " does not match accumulated gradient ", acc.shape().str());
  kernels::add_inplace(acc, g);
}

}  // namespace

void set_op_observer(OpObserver* obs) { g_observer.store(obs); }
OpObserver* op_observer() { return g_observer.load(std::memory_order_relaxed); }
bool in_backward() { return t_in_backward; }
void set_leaf_grad_hook(LeafGradHook* hook) { t_leaf_hook = hook; }
LeafGradHook* leaf_grad_hook() { return t_leaf_hook; }

NameScope::NameScope(const std::string& name) : prev_(scope_slot()) {
  scope_slot() = std::make_shared<const std::string>(prev_ ? *prev_ + "/" + name : name);
}
NameScope::~NameScope() { scope_slot() = prev_; }
const std::shared_ptr<const std::string>& NameScope::current() { return scope_slot(); }

namespace {
template <class Get>
void attach_impl(Tensor& out, const char* name, size_t n, Get get, BackwardFn fn) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->scope = scope_slot();
  node->inputs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = get(i);
    node->inputs.push_back(t.defined() && t.requires_grad() ? t.impl_ptr() : nullptr);
  }
  node->backward = std::move(fn);
  node->out_shape = out.shape();
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
}
}  // namespace

void attach(Tensor& out, const char* name, std::initializer_list<const Tensor*> inputs, BackwardFn fn) {
  attach_impl(out, name, inputs.size(), [&](size_t i) -> const Tensor& { return *inputs.begin()[i]; }, std::move(fn));
}

void attach(Tensor& out, const char* name, const std::vector<Tensor>& inputs, BackwardFn fn) {
  attach_impl(out, name, inputs.size(), [&](size_t i) -> const Tensor& { return inputs[i]; }, std::move(fn));
}

void notify_forward(const char* name, std::initializer_list<const Tensor*> inputs, const Tensor& out) {
  OpObserver* obs = op_observer();
  if (!obs) return;
  std::vector<Tensor> ins;
  for (const Tensor* t : inputs) ins.push_back(*t);
  static const std::string empty;
  const auto& sc = scope_slot();
  obs->on_forward(name, sc ? *sc : empty, ins, out);
}

void accumulate_grad(TensorImpl& leaf, const Tensor& g) {
  Tensor acc = leaf.grad ? Tensor(leaf.grad) : Tensor();
  add_into(acc, g);
  leaf.grad = acc.impl_ptr();
}

void backward(const Tensor& root, const Tensor& grad, bool retain_graph) {
  NABLA_CHECK(root.defined() && root.requires_grad(),
              "backward(): tensor does not require grad and has no grad_fn (did you run under NoGradGuard, or "
              "forget requires_grad_()?)");
  Tensor seed = grad;
  if (!seed.defined()) {
    NABLA_CHECK(root.numel() == 1, "backward(): grad can be implicitly created only for a one-element output; "
                "output has shape ", root.shape().str());
    seed = Tensor::ones(root.shape(), root.dtype());
  }
  NABLA_CHECK_SHAPE(seed.shape() == root.shape(), "backward(): grad shape ", seed.shape().str(),
                    " does not match output shape ", root.shape().str());
  LeafGradHook* hook = t_leaf_hook;
  if (!root.grad_fn()) {  // a leaf
    accumulate_grad(*root.impl(), seed);
    if (hook) hook->on_leaf_grad_ready(*root.impl());
    return;
  }
  NoGradGuard no_grad;  // gradients are computed without recording (no double backward)
  struct InBackward {    // restores the flag on exceptions too (an observer may throw)
    bool prev = t_in_backward;
    InBackward() { t_in_backward = true; }
    ~InBackward() { t_in_backward = prev; }
  } in_backward_scope;

  // Topological order by iterative DFS (post-order), then reversed.
  std::vector<Node*> order;
  std::unordered_set<Node*> seen;
  std::vector<std::pair<Node*, size_t>> stack;
  stack.emplace_back(root.grad_fn().get(), 0);
  seen.insert(root.grad_fn().get());
  while (!stack.empty()) {
    auto& [n, i] = stack.back();
    if (i < n->inputs.size()) {
      TensorImpl* in = n->inputs[i++].get();
      if (in && in->grad_fn && seen.insert(in->grad_fn.get()).second) stack.emplace_back(in->grad_fn.get(), 0);
    } else {
      order.push_back(n);
      stack.pop_back();
    }
  }

  // With a gradient-ready hook: how many recorded edges still lead into each leaf. A leaf's gradient is final
  // when its count drops to zero (a shared weight waits for its last use).
  std::unordered_map<TensorImpl*, int> leaf_edges;
  if (hook)
    for (Node* n : order)
      for (const auto& in : n->inputs)
        if (in && !in->grad_fn) ++leaf_edges[in.get()];
  auto edges_done = [&](Node* n) {
    for (const auto& in : n->inputs)
      if (in && !in->grad_fn && --leaf_edges[in.get()] == 0) hook->on_leaf_grad_ready(*in);
  };

  // Gradient contributions each node will receive: one per edge from a node in this pass, one for the root.
  for (Node* n : order) {
    n->consumers = 0;
    n->relu_applied = false;
    n->deferred_grad = nullptr;
  }
  for (Node* n : order)
    for (const auto& in : n->inputs)
      if (in && in->grad_fn) ++in->grad_fn->consumers;
  ++root.grad_fn()->consumers;

  root.grad_fn()->grad = seed;
  OpObserver* obs = op_observer();
  struct Running {  // clears the running node on exceptions too
    ~Running() { t_running = nullptr; }
  } running_scope;
  GradList grads;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* n = *it;
    NABLA_CHECK(!n->released, "backward(): trying to backward through the graph a second time (op '", n->name,
                "'); pass retain_graph=true to the first backward()");
    Tensor g = std::move(n->grad);
    n->grad = Tensor();
    if (!g.defined() && !n->deferred_grad) {  // no gradient reached this node
      if (hook) edges_done(n);
      continue;
    }
    grads.assign(n->inputs.size(), Tensor());
    t_running = n;
    n->backward(g, grads);
    t_running = nullptr;
    n->deferred_grad = nullptr;
    if (obs) obs->on_backward(*n, grads);
    for (size_t k = 0; k < n->inputs.size(); ++k) {
      TensorImpl* in = n->inputs[k].get();
      if (!in || !grads[k].defined()) continue;
      NABLA_CHECK_SHAPE(grads[k].shape() == in->shape, "backward of '", n->name, "' produced a gradient of shape ",
                        grads[k].shape().str(), " for an input of shape ", in->shape.str());
      if (in->grad_fn)
        add_into(in->grad_fn->grad, grads[k]);
      else
        accumulate_grad(*in, grads[k]);
    }
    if (hook) edges_done(n);
    if (!retain_graph) {
      n->backward = nullptr;
      n->released = true;
    }
  }
}

namespace {
Node* producer_of_input(size_t k) {
  if (!t_running || k >= t_running->inputs.size() || !t_running->inputs[k]) return nullptr;
  return t_running->inputs[k]->grad_fn.get();
}
}  // namespace

bool sole_relu_input(size_t k) {
  Node* p = producer_of_input(k);
  return p && p->relu_output && p->consumers == 1 && !op_observer();
}
void relu_mask_applied(size_t k) {
  NABLA_CHECK(sole_relu_input(k), "relu_mask_applied: input ", k, " is not the sole use of a relu output");
  producer_of_input(k)->relu_applied = true;
}
bool relu_already_applied() { return t_running && t_running->relu_applied; }

Tensor takes_deferred_grad(Tensor out) {
  if (out.grad_fn()) out.grad_fn()->takes_deferred_grad = true;
  return out;
}
bool can_defer_grad(size_t k) {
  Node* p = producer_of_input(k);
  return p && p->takes_deferred_grad && p->consumers == 1 && !op_observer();
}
void defer_grad(size_t k, std::shared_ptr<const DeferredGrad> grad) {
  NABLA_CHECK(can_defer_grad(k), "defer_grad: input ", k, " does not take a deferred gradient from this node");
  Node* p = producer_of_input(k);
  NABLA_CHECK_SHAPE(grad && grad->shape() == p->out_shape, "defer_grad: a gradient of shape ",
                    grad ? grad->shape().str() : "(none)", " for an output of shape ", p->out_shape.str());
  p->deferred_grad = std::move(grad);
}
const DeferredGrad* deferred_grad() { return t_running ? t_running->deferred_grad.get() : nullptr; }

}  // namespace nabla::autograd

namespace nabla {
void Tensor::backward(const Tensor& grad, bool retain_graph) const { autograd::backward(*this, grad, retain_graph); }
}  // namespace nabla
