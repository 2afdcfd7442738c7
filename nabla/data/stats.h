#pragma once
// Pipeline statistics: per stage, how many elements it produced, the time spent producing them (inclusive of
// its inputs), and for buffered stages how full the buffer was when the consumer came. They answer "is my
// training input-bound?": if the root stage's consumer often finds its buffer empty (stalls) the input is the
// bottleneck, and the stage with the largest self time is the one to parallelise.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nabla::data {

// Live counters of one stage, updated by the iterator threads (relaxed atomics: they are statistics).
struct StageCounters {
  std::string name;
  int depth = 0;
  std::atomic<int64_t> elements{0};
  std::atomic<int64_t> next_ns{0};          // time inside next(), including inputs
  std::atomic<int64_t> wait_ns{0};          // buffered stages: consumer time blocked on an empty buffer
  std::atomic<int64_t> stalls{0};           // buffered stages: requests that found the buffer empty
  std::atomic<int64_t> occupancy_sum{0};    // buffered stages: sum of buffer sizes seen at each request
  std::atomic<int64_t> capacity{0};         // buffered stages: current buffer limit (autotuned or fixed)
  std::atomic<int64_t> parallelism{0};      // parallel stages: current number of parallel calls
  std::atomic<bool> autotuned{false};
};

// A snapshot, printable.
struct StageStats {
  std::string name;
  int depth = 0;
  int64_t elements = 0;
  double seconds = 0;       // inclusive
  double self_seconds = 0;  // minus the time of its direct inputs
  double wait_seconds = 0;
  int64_t stalls = 0;
  double mean_occupancy = 0;
  int64_t capacity = 0;
  int64_t parallelism = 0;
  bool autotuned = false;
};

struct PipelineStats {
  std::vector<StageStats> stages;  // root first, inputs below it (depth-first)
  double wall_seconds = 0;         // since the iterator was made
  std::string str() const;
};

// The counters of one iterator tree. Stages are keyed by dataset node, so that a stage re-created each epoch
// (inside repeat) accumulates into one row.
class StatsRegistry {
 public:
  StatsRegistry();
  StageCounters* stage(const void* node, const std::string& name, int depth);
  PipelineStats snapshot() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<const void*, std::unique_ptr<StageCounters>>> stages_;
  int64_t start_ns_;
};

int64_t now_ns();

}  // namespace nabla::data
