#pragma once
// A fixed pool of worker threads shared by the whole library (input pipelines, background I/O), so that no
// component spawns threads of its own. Tasks may wait for other tasks without deadlocking a pool of any size if
// they wait only for their own dependencies and submit those as claimable tasks: a waiter that finds its
// dependency not yet started claims it and runs it itself. (Running arbitrary queued tasks while waiting is not
// safe: the task picked up may itself wait for the one below it on the stack.)
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nabla {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();  // runs the remaining queued tasks, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()); }
  void submit(std::function<void()> task);
  // True on one of this pool's worker threads.
  bool in_worker() const;
  // Runs one queued task on the calling thread; false if the queue was empty.
  bool run_one();

 private:
  void worker_loop();
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
};

// A one-shot token: whoever claims it first (a worker, or the thread waiting for the task) runs the task.
class TaskClaim {
 public:
  bool try_claim() { return !claimed_.exchange(true, std::memory_order_acq_rel); }

 private:
  std::atomic<bool> claimed_{false};
};

// The process-wide pool: max(2, get_num_threads()) workers, created on first use.
ThreadPool& global_thread_pool();

}  // namespace nabla
