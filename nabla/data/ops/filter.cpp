// filter(pred): keeps the elements for which pred is true.
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

class FilterNode final : public DatasetNode {
 public:
  FilterNode(NodePtr in, std::function<bool(const Element&)> pred) : in_(std::move(in)), pred_(std::move(pred)) {
    NABLA_CHECK(bool(pred_), "filter: no predicate given");
  }
  std::string name() const override { return "filter"; }
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    return c == INFINITE_CARDINALITY ? c : c == 0 ? 0 : UNKNOWN_CARDINALITY;
  }
  std::string fingerprint() const override { return "filter<" + in_->fingerprint() + ">"; }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      IterPtr in;
      std::shared_ptr<const FilterNode> node;
      int64_t index = 0;
      bool done = false;
      std::optional<Element> next() override {
        while (!done) {
          auto e = in->next();
          if (!e) break;
          int64_t i = index++;
          bool keep;
          try {
            keep = node->pred_(*e);
          } catch (...) {
            done = true;
            std::rethrow_exception(wrap_error("filter", i));
          }
          if (keep) return e;
        }
        done = true;
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate(ctx.child());
    it->node = std::static_pointer_cast<const FilterNode>(shared_from_this());
    return it;
  }

 private:
  NodePtr in_;
  std::function<bool(const Element&)> pred_;
};

}  // namespace

NodePtr make_filter_node(NodePtr input, std::function<bool(const Element&)> pred) {
  return std::make_shared<FilterNode>(std::move(input), std::move(pred));
}

}  // namespace nabla::data::detail
