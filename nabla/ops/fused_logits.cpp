#include "nabla/ops/fused_logits.h"

#include <algorithm>
#include <mutex>
#include <vector>

namespace nabla {
namespace {

struct Link {
  std::weak_ptr<TensorImpl> out;        // weak: the table never keeps an output alive
  const TensorImpl* key = nullptr;      // identity of the output (valid while `out` has not expired)
  std::shared_ptr<TensorImpl> logits;   // strong, as the output's own attribute would be
  LogitsOf kind = LogitsOf::softmax;
};

// Live outputs are few (the model's last activation, a loss's internal sigmoid), so a vector scanned from the
// newest entry is faster than a hash map, and once its capacity has settled inserting allocates nothing.
struct Table {
  std::mutex mu;
  std::vector<Link> links;
};

Table& table() {
  static Table* t = new Table;  // never destroyed: ops may run during static destruction
  return *t;
}

// Drops links whose output is gone, releasing their logits.
void sweep(std::vector<Link>& links) {
  links.erase(std::remove_if(links.begin(), links.end(), [](const Link& l) { return l.out.expired(); }), links.end());
}

}  // namespace

void remember_logits(const Tensor& out, const Tensor& logits, LogitsOf kind) {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  sweep(t.links);
  t.links.push_back(Link{out.impl_ptr(), out.impl(), logits.impl_ptr(), kind});
}

Tensor logits_behind(const Tensor& out, LogitsOf kind) {
  if (!out.defined()) return Tensor();
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  for (auto it = t.links.rbegin(); it != t.links.rend(); ++it) {
    // An expired link's key may equal a new tensor's address only after the weak_ptr let the memory go, so
    // identity is checked together with liveness.
    if (it->key == out.impl() && !it->out.expired()) return it->kind == kind ? Tensor(it->logits) : Tensor();
  }
  return Tensor();
}

size_t remembered_logits_count() {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  sweep(t.links);
  return t.links.size();
}

}  // namespace nabla
