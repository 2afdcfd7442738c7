// prefetch(n | AUTOTUNE): a bounded buffer filled by a task on the shared pool. The task runs only while the
// buffer has room: it exits when full and the consumer resubmits it when it takes an element, so no pool
// thread ever blocks waiting for buffer space, and a destroyed iterator only waits for the element in progress.
#include <deque>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/thread_pool.h"
#include "nabla/data/autotune.h"
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

// AUTOTUNE keeps at most this many bytes in a prefetch buffer.
constexpr int64_t kAutotuneBufferBytes = int64_t(256) << 20;
constexpr int64_t kAutotuneMaxElements = 1024;

struct PrefetchState {
  std::mutex mu;
  std::condition_variable cv;
  struct Item {
    Element elem;
    std::exception_ptr error;
  };
  std::deque<Item> buf;
  IterPtr input;  // touched only by the producer task (one at a time)
  bool autotune = false;
  BufferTuner tuner{2, kAutotuneMaxElements};
  int64_t fixed = 0;
  bool running = false, end = false, cancelled = false, sized = false;
  std::function<void()> on_end;
  StageCounters* c = nullptr;
  std::shared_ptr<TaskClaim> pending;    // the producer task submitted last
  std::shared_ptr<StatsRegistry> stats;  // keeps the counters of the input chain alive while it runs

  int64_t limit() const { return autotune ? tuner.limit() : fixed; }
};

void produce(const std::shared_ptr<PrefetchState>& s, int64_t max_elements);

// Starts the producer if it is idle and there is room. Called with s->mu held.
void ensure_running(const std::shared_ptr<PrefetchState>& s) {
  if (s->running || s->end || s->cancelled || int64_t(s->buf.size()) >= s->limit()) return;
  s->running = true;
  s->pending = std::make_shared<TaskClaim>();
  global_thread_pool().submit([s, claim = s->pending] {
    if (claim->try_claim()) produce(s, INT64_MAX);
  });
}

// Fills the buffer (at most max_elements) and marks the producer idle.
void produce(const std::shared_ptr<PrefetchState>& s, int64_t max_elements) {
  NoGradGuard no_grad;
  for (int64_t made = 0;; ++made) {
    {
      std::lock_guard<std::mutex> lk(s->mu);
      if (s->cancelled || s->end || int64_t(s->buf.size()) >= s->limit() || made >= max_elements) {
        s->running = false;
        s->cv.notify_all();
        return;
      }
    }
    PrefetchState::Item item;
    bool done = false;
    try {
      auto e = s->input->next();
      if (e) item.elem = std::move(*e);
      else done = true;
    } catch (...) {
      item.error = std::current_exception();
    }
    if (done && s->on_end) {
      // Before the end is visible to the consumer: a next pass it starts must not race with this one.
      auto on_end = std::move(s->on_end);
      on_end();
    }
    {
      std::lock_guard<std::mutex> lk(s->mu);
      if (done || item.error) s->end = true;
      if (!done) {
        if (s->autotune && !s->sized && !item.error) {
          // Bound the autotuned buffer by memory, from the first element's size.
          int64_t bytes = 1;
          for (const Tensor& t : item.elem) bytes += int64_t(t.nbytes());
          s->tuner.set_max(std::min(kAutotuneMaxElements, std::max<int64_t>(1, kAutotuneBufferBytes / bytes)));
          s->sized = true;
        }
        s->buf.push_back(std::move(item));
      }
      s->cv.notify_all();
    }
  }
}

class PrefetchIterator final : public IteratorBase {
 public:
  PrefetchIterator(IterPtr input, int64_t buffer, const IterContext& ctx, StageCounters* c,
                   std::function<void()> on_end)
      : s_(std::make_shared<PrefetchState>()) {
    s_->input = std::move(input);
    s_->stats = ctx.stats;
    s_->autotune = buffer == AUTOTUNE;
    s_->fixed = buffer;
    s_->c = c;
    s_->on_end = std::move(on_end);
    c->autotuned.store(s_->autotune, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lk(s_->mu);
    c->capacity.store(s_->limit(), std::memory_order_relaxed);
    ensure_running(s_);  // start filling now: the first element is then ready as early as possible
  }

  ~PrefetchIterator() override {
    IterPtr input;
    {
      std::unique_lock<std::mutex> lk(s_->mu);
      s_->cancelled = true;
      // A producer still queued never starts; one running finishes its element. Wait for it, then tear the input
      // chain down here, so that nothing runs on the iterator's behalf once it is gone. (Waiting cannot deadlock:
      // the producer waits only on stages below it.)
      if (s_->running && s_->pending && s_->pending->try_claim()) s_->running = false;
      s_->cv.wait(lk, [&] { return !s_->running; });
      input = std::move(s_->input);
    }
  }

  std::optional<Element> next() override {
    std::unique_lock<std::mutex> lk(s_->mu);
    if (done_) return std::nullopt;
    StageCounters* c = s_->c;
    int64_t found = int64_t(s_->buf.size());
    c->occupancy_sum.fetch_add(found, std::memory_order_relaxed);
    if (s_->autotune) {
      s_->tuner.record(found);
      c->capacity.store(s_->tuner.limit(), std::memory_order_relaxed);
    }
    if (s_->buf.empty() && !s_->end) {
      c->stalls.fetch_add(1, std::memory_order_relaxed);
      ensure_running(s_);
      int64_t t0 = now_ns();
      if (s_->pending && s_->pending->try_claim()) {
        // No worker has started the producer yet: produce the element needed on this thread.
        lk.unlock();
        produce(s_, 1);
        lk.lock();
      }
      s_->cv.wait(lk, [&] { return !s_->buf.empty() || s_->end; });
      c->wait_ns.fetch_add(now_ns() - t0, std::memory_order_relaxed);
    }
    if (s_->buf.empty()) {
      done_ = true;
      return std::nullopt;
    }
    PrefetchState::Item item = std::move(s_->buf.front());
    s_->buf.pop_front();
    ensure_running(s_);
    if (item.error) {
      done_ = true;
      std::rethrow_exception(item.error);
    }
    return std::move(item.elem);
  }

 private:
  std::shared_ptr<PrefetchState> s_;
  bool done_ = false;
};

}  // namespace

IterPtr make_prefetch_iterator(IterPtr input, int64_t buffer, const IterContext& ctx, StageCounters* c,
                               std::function<void()> on_input_end) {
  NABLA_CHECK(buffer == AUTOTUNE || buffer > 0, "prefetch: buffer size must be positive or AUTOTUNE, got ", buffer);
  return std::make_unique<PrefetchIterator>(std::move(input), buffer, ctx, c, std::move(on_input_end));
}

PrefetchNode::PrefetchNode(NodePtr input, int64_t buffer) : input_(std::move(input)), buffer_(buffer) {
  NABLA_CHECK(buffer == AUTOTUNE || buffer > 0, "prefetch: buffer size must be positive or AUTOTUNE, got ", buffer);
}

std::string PrefetchNode::name() const {
  return buffer_ == AUTOTUNE ? std::string("prefetch(AUTOTUNE)") : nabla::detail::concat("prefetch(", buffer_, ")");
}

std::string PrefetchNode::fingerprint() const { return input_->fingerprint(); }

std::optional<PrefetchNode::Prewarmed> PrefetchNode::take_prewarmed() const {
  std::optional<Prewarmed> r;
  bool again = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    r = std::move(prewarmed_);
    prewarmed_.reset();
    again = r && prewarm_wanted_;
    if (again) prewarm_wanted_ = false;
  }
  // The pass handed out already reached its end while waiting; start the one after it now.
  if (again) prewarm();
  return r;
}

void PrefetchNode::prewarm() const {
  {
    // One pass waits at a time; creating another would consume a shuffle epoch seed out of order.
    std::lock_guard<std::mutex> lk(mu_);
    if (prewarmed_ || creating_) {
      prewarm_wanted_ = true;
      return;
    }
    creating_ = true;
  }
  Prewarmed p;
  p.stats = std::make_shared<StatsRegistry>();
  IterContext ctx{p.stats, 0, true};
  try {
    p.iter = iterate(ctx);
  } catch (...) {
    p.iter.reset();  // the next make_iterator() builds the pass itself and reports the error
  }
  std::lock_guard<std::mutex> lk(mu_);
  creating_ = false;
  if (p.iter) prewarmed_ = std::move(p);
}

IterPtr PrefetchNode::make(const IterContext& ctx, StageCounters* c) const {
  std::function<void()> on_end;
  if (ctx.root) {
    // When this pass's input ends, start the next pass so that its first element waits in the buffer by the time
    // the consumer asks (tf.data instead stalls at each epoch start refilling shuffle buffers).
    std::weak_ptr<const PrefetchNode> self = std::static_pointer_cast<const PrefetchNode>(shared_from_this());
    on_end = [self] {
      if (auto n = self.lock()) n->prewarm();
    };
  }
  return make_prefetch_iterator(input_->iterate(ctx.child()), buffer_, ctx, c, std::move(on_end));
}

}  // namespace nabla::data::detail
