#include "nabla/data/node.h"

namespace nabla::data::detail {
namespace {

class Instrumented final : public IteratorBase {
 public:
  Instrumented(IterPtr inner, StageCounters* c) : inner_(std::move(inner)), c_(c) {}
  std::optional<Element> next() override {
    int64_t t0 = now_ns();
    auto r = inner_->next();
    c_->next_ns.fetch_add(now_ns() - t0, std::memory_order_relaxed);
    if (r) c_->elements.fetch_add(1, std::memory_order_relaxed);
    return r;
  }

 private:
  IterPtr inner_;
  StageCounters* c_;
};

}  // namespace

IterPtr DatasetNode::iterate(const IterContext& ctx) const {
  StageCounters* c = ctx.stats->stage(this, name(), ctx.depth);
  return std::make_unique<Instrumented>(make(ctx, c), c);
}

}  // namespace nabla::data::detail
