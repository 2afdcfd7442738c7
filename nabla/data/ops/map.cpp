// map(fn, num_parallel_calls, deterministic). The sequential form calls fn inline. The parallel form pulls
// inputs on the consumer's thread and keeps up to `parallelism` calls of fn in flight on the shared pool;
// results come back in input order unless deterministic=false. Errors carry the index of the failing element.
#include <deque>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/thread_pool.h"
#include "nabla/data/autotune.h"
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

class SequentialMap final : public IteratorBase {
 public:
  SequentialMap(IterPtr in, std::shared_ptr<const MapFn> fn) : in_(std::move(in)), fn_(std::move(fn)) {}
  std::optional<Element> next() override {
    if (done_) return std::nullopt;
    auto e = in_->next();
    if (!e) {
      done_ = true;
      return std::nullopt;
    }
    int64_t i = index_++;
    try {
      return (*fn_)(std::move(*e));
    } catch (...) {
      done_ = true;
      std::rethrow_exception(wrap_error("map", i));
    }
  }

 private:
  IterPtr in_;
  std::shared_ptr<const MapFn> fn_;
  int64_t index_ = 0;
  bool done_ = false;
};

struct MapState {
  std::mutex mu;
  std::condition_variable cv;
  int64_t in_flight = 0;
};

struct Slot {
  int64_t index = 0;
  bool done = false;
  Element in, out;
  std::exception_ptr error;
  TaskClaim claim;  // the pool task or the waiting consumer runs the call, whichever comes first
};

// Runs one call of fn and publishes its result.
void run_call(const std::shared_ptr<MapState>& s, const std::shared_ptr<Slot>& slot, const MapFn& fn) {
  NoGradGuard no_grad;
  Element out;
  std::exception_ptr err;
  try {
    out = fn(std::move(slot->in));
  } catch (...) {
    err = wrap_error("map", slot->index);
  }
  std::lock_guard<std::mutex> lk(s->mu);
  slot->out = std::move(out);
  slot->error = err;
  slot->done = true;
  --s->in_flight;
  s->cv.notify_all();
}

class ParallelMap final : public IteratorBase {
 public:
  ParallelMap(IterPtr in, std::shared_ptr<const MapFn> fn, int64_t parallel, bool deterministic, StageCounters* c)
      : in_(std::move(in)),
        fn_(std::move(fn)),
        s_(std::make_shared<MapState>()),
        autotune_(parallel == AUTOTUNE),
        fixed_(parallel),
        deterministic_(deterministic),
        tuner_(2, autotune_max_parallelism()),
        c_(c) {
    c_->autotuned.store(autotune_, std::memory_order_relaxed);
    c_->parallelism.store(parallelism(), std::memory_order_relaxed);
  }

  ~ParallelMap() override {
    // The calls in flight own their inputs and results; wait so none outlives the iterator.
    std::unique_lock<std::mutex> lk(s_->mu);
    for (auto& sl : slots_)
      if (!sl->done && sl->claim.try_claim()) --s_->in_flight;  // queued calls become no-ops
    s_->cv.wait(lk, [&] { return s_->in_flight == 0; });
  }

  std::optional<Element> next() override {
    if (done_) return std::nullopt;
    top_up();
    std::shared_ptr<Slot> slot;
    {
      std::unique_lock<std::mutex> lk(s_->mu);
      if (slots_.empty()) {
        done_ = true;
        return std::nullopt;
      }
      auto ready = [&] {
        if (deterministic_) return slots_.front()->done;
        for (auto& sl : slots_)
          if (sl->done) return true;
        return false;
      };
      while (!ready()) {
        // Run a call nobody has started (the one needed first, in deterministic order) rather than wait for a
        // worker: the pool may be busy with the stages above this one.
        std::shared_ptr<Slot> unstarted;
        for (auto& sl : slots_)
          if (!sl->done && sl->claim.try_claim()) {
            unstarted = sl;
            break;
          }
        if (!unstarted) {
          s_->cv.wait(lk, ready);
          break;
        }
        lk.unlock();
        run_call(s_, unstarted, *fn_);
        lk.lock();
      }
      auto it = slots_.begin();
      if (!deterministic_)
        while (!(*it)->done) ++it;
      slot = *it;
      slots_.erase(it);
    }
    if (slot->error) {
      done_ = true;
      std::rethrow_exception(slot->error);
    }
    if (autotune_) {
      tuner_.record_output(now_ns());
      c_->parallelism.store(parallelism(), std::memory_order_relaxed);
    }
    top_up();  // keep the pool busy while the consumer works on this element
    return std::move(slot->out);
  }

 private:
  int64_t parallelism() const { return autotune_ ? tuner_.value() : fixed_; }

  // Pulls inputs (on this thread: input iterators are single-consumer) until `parallelism` calls are queued.
  void top_up() {
    while (!input_end_ && int64_t(slots_.size()) < parallelism()) {
      auto slot = std::make_shared<Slot>();
      slot->index = index_++;
      std::optional<Element> e;
      try {
        e = in_->next();
      } catch (...) {
        slot->error = std::current_exception();
        slot->done = true;
        input_end_ = true;
        std::lock_guard<std::mutex> lk(s_->mu);
        slots_.push_back(slot);
        return;
      }
      if (!e) {
        input_end_ = true;
        return;
      }
      slot->in = std::move(*e);
      std::lock_guard<std::mutex> lk(s_->mu);
      slots_.push_back(slot);
      ++s_->in_flight;
      global_thread_pool().submit([s = s_, slot, fn = fn_] {
        if (slot->claim.try_claim()) run_call(s, slot, *fn);
      });
    }
  }

  IterPtr in_;
  std::shared_ptr<const MapFn> fn_;
  std::shared_ptr<MapState> s_;
  std::deque<std::shared_ptr<Slot>> slots_;  // guarded by s_->mu (the calls mark them done)
  bool autotune_;
  int64_t fixed_;
  bool deterministic_;
  ParallelismTuner tuner_;
  StageCounters* c_;
  int64_t index_ = 0;
  bool input_end_ = false, done_ = false;
};

class MapNode final : public DatasetNode {
 public:
  MapNode(NodePtr in, MapFn fn, int64_t parallel, bool det)
      : in_(std::move(in)), fn_(std::make_shared<const MapFn>(std::move(fn))), parallel_(parallel), det_(det) {
    NABLA_CHECK(bool(*fn_), "map: no function given");
    NABLA_CHECK(parallel >= 0 || parallel == AUTOTUNE, "map: num_parallel_calls must be >= 0 or AUTOTUNE, got ",
                parallel);
  }
  std::string name() const override {
    if (parallel_ == 0) return "map";
    return parallel_ == AUTOTUNE ? std::string("parallel_map(AUTOTUNE)") : nabla::detail::concat("parallel_map(", parallel_, ")");
  }
  int64_t cardinality() const override { return in_->cardinality(); }
  // Functions cannot be compared; a cache above a map is keyed by its input and position only.
  std::string fingerprint() const override { return "map<" + in_->fingerprint() + ">"; }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters* c) const override {
    if (parallel_ == 0) return std::make_unique<SequentialMap>(in_->iterate(ctx.child()), fn_);
    return std::make_unique<ParallelMap>(in_->iterate(ctx.child()), fn_, parallel_, det_, c);
  }

 private:
  NodePtr in_;
  std::shared_ptr<const MapFn> fn_;
  int64_t parallel_;
  bool det_;
};

}  // namespace

NodePtr make_map_node(NodePtr input, MapFn fn, int64_t num_parallel_calls, bool deterministic) {
  return std::make_shared<MapNode>(std::move(input), std::move(fn), num_parallel_calls, deterministic);
}

}  // namespace nabla::data::detail
