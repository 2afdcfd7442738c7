#include "nabla/core/thread_pool.h"

#include <algorithm>

#include "nabla/core/parallel.h"

namespace nabla {
namespace {
thread_local const ThreadPool* t_current_pool = nullptr;
}

ThreadPool::ThreadPool(int num_threads) {
  num_threads = std::max(num_threads, 1);
  workers_.reserve(size_t(num_threads));
  for (int i = 0; i < num_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

bool ThreadPool::in_worker() const { return t_current_pool == this; }

bool ThreadPool::run_one() {
  std::function<void()> task;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (queue_.empty()) return false;
    task = std::move(queue_.front());
    queue_.pop_front();
  }
  task();
  return true;
}

void ThreadPool::worker_loop() {
  t_current_pool = this;
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

ThreadPool& global_thread_pool() {
  // Deliberately never destroyed: objects destroyed at exit (cached datasets, iterators in statics) may still
  // wait on pool tasks, and joining workers from a static destructor would race with them.
  static ThreadPool* pool = new ThreadPool(std::max(2, get_num_threads()));
  return *pool;
}

}  // namespace nabla
