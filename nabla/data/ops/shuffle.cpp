// shuffle(buffer_size, seed, reshuffle_each_iteration).
#include "nabla/data/ops/nodes.h"
#include "nabla/data/ops/shuffle_buffer.h"

namespace nabla::data::detail {

ShuffleNode::ShuffleNode(NodePtr input, int64_t buffer_size, uint64_t seed, bool reshuffle)
    : input_(std::move(input)), buffer_size_(buffer_size), seed_(seed), reshuffle_(reshuffle) {
  NABLA_CHECK(buffer_size > 0, "shuffle: buffer_size must be positive, got ", buffer_size);
}

uint64_t ShuffleNode::next_epoch_seed() const {
  uint64_t e = epoch_.fetch_add(1);
  return reshuffle_ ? splitmix64(seed_ ^ splitmix64(e + 1)) : splitmix64(seed_);
}

std::string ShuffleNode::name() const { return nabla::detail::concat("shuffle(", buffer_size_, ")"); }

std::string ShuffleNode::fingerprint() const {
  return nabla::detail::concat("shuffle(", buffer_size_, ",", seed_, ",", reshuffle_, ",", input_->fingerprint(), ")");
}

namespace {

class ShuffleIterator final : public IteratorBase {
 public:
  ShuffleIterator(IterPtr in, int64_t size, uint64_t seed, StageCounters* c)
      : in_(std::move(in)), buf_(size, seed), c_(c) {
    c_->capacity.store(size, std::memory_order_relaxed);
  }
  std::optional<Element> next() override {
    auto r = buf_.next([&] { return in_->next(); });
    c_->occupancy_sum.fetch_add(buf_.buffered(), std::memory_order_relaxed);
    return r;
  }

 private:
  IterPtr in_;
  ShuffleBuffer<Element> buf_;
  StageCounters* c_;
};

}  // namespace

IterPtr ShuffleNode::make(const IterContext& ctx, StageCounters* c) const {
  uint64_t seed = next_epoch_seed();
  return std::make_unique<ShuffleIterator>(input_->iterate(ctx.child()), buffer_size_, seed, c);
}

}  // namespace nabla::data::detail
