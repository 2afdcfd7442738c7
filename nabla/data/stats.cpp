#include "nabla/data/stats.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace nabla::data {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

StatsRegistry::StatsRegistry() : start_ns_(now_ns()) {}

StageCounters* StatsRegistry::stage(const void* node, const std::string& name, int depth) {
  std::lock_guard<std::mutex> lk(mu_);
  for (auto& [n, c] : stages_)
    if (n == node) return c.get();
  auto c = std::make_unique<StageCounters>();
  c->name = name;
  c->depth = depth;
  stages_.emplace_back(node, std::move(c));
  return stages_.back().second.get();
}

PipelineStats StatsRegistry::snapshot() const {
  std::lock_guard<std::mutex> lk(mu_);
  PipelineStats ps;
  ps.wall_seconds = double(now_ns() - start_ns_) * 1e-9;
  for (const auto& [n, c] : stages_) {
    StageStats s;
    s.name = c->name;
    s.depth = c->depth;
    s.elements = c->elements.load(std::memory_order_relaxed);
    s.seconds = double(c->next_ns.load(std::memory_order_relaxed)) * 1e-9;
    s.wait_seconds = double(c->wait_ns.load(std::memory_order_relaxed)) * 1e-9;
    s.stalls = c->stalls.load(std::memory_order_relaxed);
    int64_t occ = c->occupancy_sum.load(std::memory_order_relaxed);
    s.mean_occupancy = s.elements ? double(occ) / double(s.elements) : 0;
    s.capacity = c->capacity.load(std::memory_order_relaxed);
    s.parallelism = c->parallelism.load(std::memory_order_relaxed);
    s.autotuned = c->autotuned.load(std::memory_order_relaxed);
    ps.stages.push_back(s);
  }
  // Self time: inclusive time minus that of the direct children (the next deeper stages below it). Prefetches
  // run their inputs on other threads, so their children's time is not on their clock.
  for (size_t i = 0; i < ps.stages.size(); ++i) {
    double child = 0;
    for (size_t j = i + 1; j < ps.stages.size() && ps.stages[j].depth > ps.stages[i].depth; ++j)
      if (ps.stages[j].depth == ps.stages[i].depth + 1) child += ps.stages[j].seconds;
    bool async = ps.stages[i].name.find("prefetch") != std::string::npos;
    ps.stages[i].self_seconds = async ? ps.stages[i].seconds : std::max(0.0, ps.stages[i].seconds - child);
  }
  return ps;
}

std::string PipelineStats::str() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "pipeline stats (%.3f s since start)\n", wall_seconds);
  out += line;
  std::snprintf(line, sizeof line, "  %-40s %10s %10s %10s %10s  %s\n", "stage", "elements", "total ms", "self ms",
                "us/elem", "buffer");
  out += line;
  for (const auto& s : stages) {
    std::string name = std::string(size_t(2 * s.depth), ' ') + s.name;
    std::string buf;
    if (s.capacity > 0) {
      char b[200];
      std::snprintf(b, sizeof b, "cap %lld%s, mean fill %.1f, stalls %lld, waited %.1f ms", (long long)s.capacity,
                    s.autotuned ? " (autotuned)" : "", s.mean_occupancy, (long long)s.stalls,
                    s.wait_seconds * 1e3);
      buf = b;
    }
    if (s.parallelism > 0) {
      char b[80];
      std::snprintf(b, sizeof b, "%sparallel calls %lld%s", buf.empty() ? "" : "; ", (long long)s.parallelism,
                    s.autotuned ? " (autotuned)" : "");
      buf += b;
    }
    std::snprintf(line, sizeof line, "  %-40s %10lld %10.2f %10.2f %10.2f  %s\n", name.c_str(),
                  (long long)s.elements, s.seconds * 1e3, s.self_seconds * 1e3,
                  s.elements ? s.seconds * 1e6 / double(s.elements) : 0.0, buf.c_str());
    out += line;
  }
  if (!stages.empty() && stages[0].elements > 0) {
    const auto& r = stages[0];
    std::snprintf(line, sizeof line, "  consumer: %.2f ms in next() over %lld elements (%.1f%% of wall time)\n",
                  r.seconds * 1e3, (long long)r.elements, wall_seconds > 0 ? 100.0 * r.seconds / wall_seconds : 0.0);
    out += line;
  }
  return out;
}

}  // namespace nabla::data
