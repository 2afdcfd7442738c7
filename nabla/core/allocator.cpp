#include "nabla/core/allocator.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace nabla {
namespace {

constexpr size_t kLarge = size_t(16) << 20;  // buffers from here up are cached only when their size recurs

size_t limit_from_env() {
  const char* v = std::getenv("NABLA_CACHE_LIMIT_MB");
  if (v && *v) {
    try {
      return size_t(std::stoull(v)) << 20;
    } catch (...) {  // an unreadable value keeps the default
    }
  }
  return size_t(2048) << 20;
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  std::unordered_set<size_t> large_freed;  // large buckets freed at least once
  size_t limit = limit_from_env();
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

// Takes buffers out of the free lists, largest first, until the cache holds at most `limit` bytes; the caller
// frees them after dropping the lock.
void trim_locked(Cache& c, std::vector<void*>& out) {
  while (c.stats.bytes_cached > c.limit) {
    size_t largest = 0;
    for (auto& [size, list] : c.free_lists)
      if (!list.empty() && size > largest) largest = size;
    if (!largest) break;
    auto& list = c.free_lists[largest];
    out.push_back(list.back());
    list.pop_back();
    c.stats.bytes_cached -= largest;
    c.stats.system_frees++;
  }
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
  std::vector<void*> release;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.stats.bytes_in_use -= b;
    if ((b >= kLarge && c.large_freed.insert(b).second) || b > c.limit) {
      c.stats.system_frees++;  // a one-off large buffer (a dataset's copy): back to the system
      release.push_back(p);
    } else {
      c.free_lists[b].push_back(p);
      c.stats.frees++;
      c.stats.bytes_cached += b;
      trim_locked(c, release);
    }
  }
  for (void* q : release) std::free(q);
}

}  // namespace detail

MemoryStats memory_stats() {
  std::lock_guard<std::mutex> lock(cache().mu);
  return cache().stats;
}

void reset_memory_counters() {
  std::lock_guard<std::mutex> lock(cache().mu);
  auto& s = cache().stats;
  s.system_allocs = s.cache_hits = s.frees = s.system_frees = 0;
}

void set_cache_limit(size_t bytes) {
  Cache& c = cache();
  std::vector<void*> release;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.limit = bytes;
    trim_locked(c, release);
  }
  for (void* p : release) std::free(p);
}

size_t get_cache_limit() {
  std::lock_guard<std::mutex> lock(cache().mu);
  return cache().limit;
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
