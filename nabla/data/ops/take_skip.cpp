// take(n), skip(n), shard(num, index): positional selections.
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

// Keeps input element i when keep(i) says so; stops when stop(i) says the rest are not wanted.
class SelectNode final : public DatasetNode {
 public:
  enum Kind { Take, Skip, Shard };
  SelectNode(NodePtr in, Kind k, int64_t a, int64_t b) : in_(std::move(in)), k_(k), a_(a), b_(b) {}
  std::string name() const override {
    switch (k_) {
      case Take: return nabla::detail::concat("take(", a_, ")");
      case Skip: return nabla::detail::concat("skip(", a_, ")");
      default: return nabla::detail::concat("shard(", a_, ", ", b_, ")");
    }
  }
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    switch (k_) {
      case Take:
        if (a_ < 0) return c;
        return c == INFINITE_CARDINALITY ? a_ : c < 0 ? c : std::min(c, a_);
      case Skip:
        if (c < 0) return c;
        return a_ < 0 ? 0 : std::max<int64_t>(0, c - a_);
      default:
        return c < 0 ? c : c / a_ + (c % a_ > b_ ? 1 : 0);
    }
  }
  std::string fingerprint() const override { return nabla::detail::concat(name(), "<", in_->fingerprint(), ">"); }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      IterPtr in;
      Kind k;
      int64_t a, b, i = 0;
      bool done = false;
      std::optional<Element> next() override {
        while (!done) {
          if (k == Take && a >= 0 && i >= a) break;
          if (k == Skip) {
            // skip(-1) skips everything.
            while (a < 0 || i < a) {
              if (!in->next()) {
                done = true;
                return std::nullopt;
              }
              ++i;
            }
          }
          auto e = in->next();
          if (!e) break;
          int64_t pos = i++;
          if (k == Shard && pos % a != b) continue;
          return e;
        }
        done = true;
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate(ctx.child());
    it->k = k_;
    it->a = a_;
    it->b = b_;
    return it;
  }

 private:
  NodePtr in_;
  Kind k_;
  int64_t a_, b_;
};

}  // namespace

NodePtr make_take_node(NodePtr input, int64_t n) {
  return std::make_shared<SelectNode>(std::move(input), SelectNode::Take, n, 0);
}
NodePtr make_skip_node(NodePtr input, int64_t n) {
  return std::make_shared<SelectNode>(std::move(input), SelectNode::Skip, n, 0);
}
NodePtr make_shard_node(NodePtr input, int64_t num, int64_t index) {
  NABLA_CHECK(num > 0 && index >= 0 && index < num, "shard: need num_shards > 0 and 0 <= index < num_shards, got ",
              num, " and ", index);
  return std::make_shared<SelectNode>(std::move(input), SelectNode::Shard, num, index);
}

}  // namespace nabla::data::detail
