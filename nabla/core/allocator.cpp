#include "nabla/core/allocator.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace nabla {
namespace {

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  MemoryStats stats;
  ~Cache() {
    for (auto& [size, list] : free_lists)
      for (void* p : list) std::free(p);
  }
};

Cache& cache() {
  static Cache* c = new Cache();  // leaked on purpose: tensors may be freed during static destruction
  return *c;
}

}  // namespace

namespace detail {

// Buckets: 64-byte granularity up to 4 KiB, then 1/8 power-of-two steps, which bounds waste at 12.5%.
size_t cached_bucket(size_t n) {
  if (n <= 4096) return ((n + 63) / 64) * 64 + (n == 0 ? 64 : 0);
  size_t p = 1;
  while (p < n) p <<= 1;
  size_t step = p / 8;
  return ((n + step - 1) / step) * step;
}

void* cached_alloc(size_t nbytes) {
  size_t b = cached_bucket(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_lists.find(b);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.stats.cache_hits++;
      c.stats.bytes_cached -= b;
      c.stats.bytes_in_use += b;
      return p;
    }
    c.stats.system_allocs++;
    c.stats.bytes_in_use += b;
  }
  void* p = std::aligned_alloc(64, b);
  if (!p) throw std::bad_alloc();
  return p;
}

void cached_free(void* p, size_t nbytes) {
  if (!p) return;
  size_t b = cached_bucket(nbytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.free_lists[b].push_back(p);
  c.stats.frees++;
  c.stats.bytes_in_use -= b;
  c.stats.bytes_cached += b;
}

}  // namespace detail

MemoryStats memory_stats() {
  std::lock_guard<std::mutex> lock(cache().mu);
  return cache().stats;
}

void reset_memory_counters() {
  std::lock_guard<std::mutex> lock(cache().mu);
  auto& s = cache().stats;
  s.system_allocs = s.cache_hits = s.frees = 0;
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, list] : c.free_lists) {
    for (void* p : list) std::free(p);
    c.stats.bytes_cached -= size * list.size();
    list.clear();
  }
}

}  // namespace nabla
