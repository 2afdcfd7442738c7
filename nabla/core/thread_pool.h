#pragma once
// A fixed pool of worker threads shared by the whole library (input pipelines, background I/O), so that no
// component spawns threads of its own. Tasks may wait for other tasks: a worker that waits through
// wait_until() runs queued tasks meanwhile, so a pool of any size cannot deadlock on nested waits.
#include <chrono>
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

  // Waits on cv (with lk held, as std::condition_variable::wait) until pred() holds. On a worker thread it
  // runs queued tasks while waiting, because the task it waits for may be queued behind it.
  template <class Pred>
  void wait_until(std::unique_lock<std::mutex>& lk, std::condition_variable& cv, Pred pred) {
    if (!in_worker()) {
      cv.wait(lk, pred);
      return;
    }
    while (!pred()) {
      lk.unlock();
      bool ran = run_one();
      lk.lock();
      // The awaited task may be running on another thread and notify cv; poll briefly so that a task queued
      // meanwhile (which nobody else may be free to run) is still picked up.
      if (!ran && !pred()) cv.wait_for(lk, std::chrono::microseconds(200));
    }
  }

 private:
  void worker_loop();
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
};

// The process-wide pool: max(2, get_num_threads()) workers, created on first use.
ThreadPool& global_thread_pool();

}  // namespace nabla
