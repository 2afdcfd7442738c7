// interleave(fn, cycle_length, block_length, num_parallel_calls): fn turns each input element into a dataset;
// cycle_length of them are open at once and read round-robin, block_length elements each turn. An exhausted one
// yields its turn and its slot is refilled from the next input element on the next visit (tf.data's order).
// With num_parallel_calls, each open dataset is prefetched on the shared pool; the order stays the same.
#include "nabla/core/thread_pool.h"
#include "nabla/data/dataset.h"
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

class InterleaveNode final : public DatasetNode {
 public:
  using Fn = std::function<Dataset(const Element&)>;
  InterleaveNode(NodePtr in, Fn fn, int64_t cycle, int64_t block, int64_t parallel)
      : in_(std::move(in)), fn_(std::move(fn)), cycle_(cycle), block_(block), parallel_(parallel) {
    NABLA_CHECK(bool(fn_), "interleave: no function given");
    NABLA_CHECK(cycle > 0 || cycle == AUTOTUNE, "interleave: cycle_length must be positive or AUTOTUNE, got ", cycle);
    NABLA_CHECK(block > 0, "interleave: block_length must be positive, got ", block);
    NABLA_CHECK(parallel >= 0 || parallel == AUTOTUNE, "interleave: num_parallel_calls must be >= 0 or AUTOTUNE");
  }
  std::string name() const override {
    return nabla::detail::concat("interleave(cycle ", cycle_ == AUTOTUNE ? int64_t(global_thread_pool().size()) : cycle_,
                          ", block ", block_, parallel_ ? ", parallel" : "", ")");
  }
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    return c == 0 ? 0 : UNKNOWN_CARDINALITY;
  }
  std::string fingerprint() const override {
    return nabla::detail::concat("interleave(", cycle_, ",", block_, ")<", in_->fingerprint(), ">");
  }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      std::shared_ptr<const InterleaveNode> node;
      IterContext ctx;
      IterPtr in;
      std::vector<IterPtr> cycle;
      size_t cur = 0;
      int64_t in_block = 0, input_index = 0;
      bool input_end = false, done = false;

      void advance() {
        cur = (cur + 1) % cycle.size();
        in_block = 0;
      }
      IterPtr open(const Element& e) {
        int64_t i = input_index++;
        Dataset ds = [&] {
          try {
            return node->fn_(e);
          } catch (...) {
            std::rethrow_exception(wrap_error("interleave", i));
          }
        }();
        IterPtr it = DatasetAccess::node(ds)->iterate(ctx);
        if (node->parallel_ == 0) return it;
        StageCounters* pc = ctx.stats->stage(&node->parallel_, "interleave prefetch", ctx.depth);
        return make_prefetch_iterator(std::move(it), node->parallel_ == AUTOTUNE ? AUTOTUNE : node->block_, ctx, pc);
      }
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        try {
          for (;;) {
            if (!cycle[cur] && !input_end) {
              auto e = in->next();
              if (e) cycle[cur] = open(*e);
              else input_end = true;
            }
            if (!cycle[cur]) {
              if (input_end) {
                bool any = false;
                for (auto& c : cycle) any |= bool(c);
                if (!any) break;
              }
              advance();
              continue;
            }
            auto r = cycle[cur]->next();
            if (r) {
              if (++in_block == node->block_) advance();
              return r;
            }
            cycle[cur].reset();
            advance();
          }
        } catch (...) {
          done = true;
          throw;
        }
        done = true;
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::static_pointer_cast<const InterleaveNode>(shared_from_this());
    it->ctx = ctx.child();
    it->in = in_->iterate(ctx.child());
    int64_t cycle = cycle_ == AUTOTUNE ? global_thread_pool().size() : cycle_;
    it->cycle.resize(size_t(cycle));
    return it;
  }

 private:
  NodePtr in_;
  Fn fn_;
  int64_t cycle_, block_, parallel_;
};

}  // namespace

NodePtr make_interleave_node(NodePtr input, std::function<Dataset(const Element&)> fn, int64_t cycle_length,
                             int64_t block_length, int64_t num_parallel_calls) {
  return std::make_shared<InterleaveNode>(std::move(input), std::move(fn), cycle_length, block_length,
                                          num_parallel_calls);
}

}  // namespace nabla::data::detail
