// repeat(count): restarts its input count times (forever for -1). Each restart is a new pass of the input, so
// shuffles below it reshuffle; a pass that yields nothing ends the repetition instead of spinning.
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

class RepeatNode final : public DatasetNode {
 public:
  RepeatNode(NodePtr in, int64_t count) : in_(std::move(in)), count_(count) {
    NABLA_CHECK(count >= -1, "repeat: count must be >= 0 or -1 (forever), got ", count);
  }
  std::string name() const override { return nabla::detail::concat("repeat(", count_, ")"); }
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    if (count_ == 0 || c == 0) return 0;
    if (count_ < 0) return INFINITE_CARDINALITY;
    return c < 0 ? c : c * count_;
  }
  std::string fingerprint() const override { return nabla::detail::concat(name(), "<", in_->fingerprint(), ">"); }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      std::shared_ptr<const RepeatNode> node;
      IterContext ctx;
      IterPtr in;
      int64_t pass = 0;
      bool got_any = false, done = false;
      std::optional<Element> next() override {
        while (!done) {
          if (!in) {
            if (node->count_ >= 0 && pass >= node->count_) break;
            in = node->in_->iterate(ctx);
            got_any = false;
          }
          auto e = in->next();
          if (e) {
            got_any = true;
            return e;
          }
          in.reset();
          ++pass;
          if (!got_any) break;
        }
        done = true;
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::static_pointer_cast<const RepeatNode>(shared_from_this());
    it->ctx = ctx.child();
    return it;
  }

 private:
  NodePtr in_;
  int64_t count_;
};

}  // namespace

NodePtr make_repeat_node(NodePtr input, int64_t count) { return std::make_shared<RepeatNode>(std::move(input), count); }

}  // namespace nabla::data::detail
