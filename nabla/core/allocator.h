#pragma once
// Caching allocator: freed tensor buffers go to a per-size free list and are reused, so a training step in
// steady state never reaches the system allocator. memory_stats() lets tests verify that. The cache is bounded: a
// large buffer (16 MiB and up) is kept only once its size has been freed before (a training step's buffers recur;
// a dataset's one-off copies do not), and the cached bytes stay under a limit (NABLA_CACHE_LIMIT_MB, default
// 2048), the largest buffers going back to the system first.
#include <cstddef>
#include <cstdint>

namespace nabla {

struct MemoryStats {
  uint64_t system_allocs = 0;   // buffers obtained from the system allocator (cache misses)
  uint64_t cache_hits = 0;      // buffers served from the cache
  uint64_t frees = 0;           // buffers returned to the cache
  uint64_t system_frees = 0;    // buffers given back to the system (one-off large ones, or over the limit)
  uint64_t bytes_in_use = 0;    // bytes handed out and not yet returned
  uint64_t bytes_cached = 0;    // bytes sitting in free lists
};

MemoryStats memory_stats();
void reset_memory_counters();  // zeroes system_allocs/cache_hits/frees (not the byte gauges)
void empty_cache();            // returns all cached buffers to the system
void set_cache_limit(size_t bytes);  // the most bytes the free lists hold; trims at once when lowered
size_t get_cache_limit();

namespace detail {
void* cached_alloc(size_t nbytes);            // 64-byte aligned; nbytes may be 0
void cached_free(void* p, size_t nbytes);
size_t cached_bucket(size_t nbytes);          // the size actually reserved for nbytes
}  // namespace detail

}  // namespace nabla
