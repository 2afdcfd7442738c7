#include "nabla/dist/mpi_communicator.h"

#include <mpi.h>

#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nabla::dist {
namespace {

using Clock = std::chrono::steady_clock;

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::i64: return MPI_INT64_T;
    case DType::i32: return MPI_INT32_T;
    default: throw ValueError(detail::concat("allreduce: dtype ", dtype_name(t), " is not supported"));
  }
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return MPI_SUM;
    case ReduceOp::max: return MPI_MAX;
    case ReduceOp::min: return MPI_MIN;
  }
  return MPI_SUM;
}

int checked_count(int64_t n, const char* what) {
  if (n < 0 || n > INT_MAX)
    throw ValueError(detail::concat(what, ": ", n, " elements do not fit one MPI call (at most ", INT_MAX, ")"));
  return int(n);
}

// One collective: started on the comm thread, completed when MPI_Test says so.
struct MpiWork : Work {
  std::function<void(MPI_Comm, MPI_Request*)> start;  // issues the MPI_I* call
  const char* name = "";
  MPI_Request request = MPI_REQUEST_NULL;
  mutable std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  std::atomic<bool> finished_flag{false};  // finished, readable without the lock
  Clock::time_point t_start{}, t_end{};

  void wait() override {
    // A collective often completes within microseconds of being waited for (a bucket started during backward):
    // look briefly before sleeping on the condition variable, whose wake-up costs tens of microseconds.
    const auto spin_until = Clock::now() + std::chrono::microseconds(100);
    while (!finished_flag.load(std::memory_order_acquire) && Clock::now() < spin_until) std::this_thread::yield();
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return finished; });
  }
  bool done() const override {
    std::lock_guard lock(m);
    return finished;
  }
  Clock::time_point started_at() const override { return t_start; }
  Clock::time_point finished_at() const override { return t_end; }
  void complete() {
    {
      std::lock_guard lock(m);
      t_end = Clock::now();
      finished = true;
      finished_flag.store(true, std::memory_order_release);
    }
    cv.notify_all();
  }
};

}  // namespace

struct MpiCommunicator::Impl {
  double timeout = 300;
  int rank = 0, size = 1, local_size = 1;
  MPI_Comm comm = MPI_COMM_NULL;
  std::thread thread;
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::shared_ptr<MpiWork>> queue;  // submitted, not started
  bool stop = false;
  std::atomic<int> abort_code{-1};

  void submit(std::shared_ptr<MpiWork> w) {
    {
      std::lock_guard lock(m);
      queue.push_back(std::move(w));
    }
    cv.notify_one();
  }

  [[noreturn]] void abort_now(int code) {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; in case it does
  }

  // The comm thread: initialise MPI, then start queued collectives in order and poll those in flight.
  void run(std::promise<void>& ready) {
    int provided = 0;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) {
      ready.set_exception(std::make_exception_ptr(
          ValueError("MpiCommunicator: MPI was already initialised; let the communicator initialise it (on its "
                     "own thread, MPI_THREAD_FUNNELED)")));
      return;
    }
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    MPI_Comm local;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
    ready.set_value();

    std::vector<std::shared_ptr<MpiWork>> inflight;
    // Spinning polls keep latency low while a peer is about to answer; sleeping ones leave the cores to the
    // training threads during a long wait. (On the shared 2-core machine the timings of either policy varied more
    // from run to run than between policies; this one leaves more CPU to training.)
    constexpr int64_t spin_polls = 200, sleep_us = 20;
    int64_t idle_polls = 0;
    for (;;) {
      {
        std::unique_lock lock(m);
        if (inflight.empty())
          cv.wait(lock, [&] { return stop || !queue.empty() || abort_code.load() >= 0; });
        if (abort_code.load() >= 0) abort_now(abort_code.load());
        while (!queue.empty()) {  // started in submission order: the same order on every process
          std::shared_ptr<MpiWork> w = std::move(queue.front());
          queue.pop_front();
          w->t_start = Clock::now();
          idle_polls = 0;  // a new collective: poll it eagerly
          w->start(comm, &w->request);
          inflight.push_back(std::move(w));
        }
        if (stop && inflight.empty()) break;
      }
      bool progressed = false;
      for (size_t i = 0; i < inflight.size();) {
        int flag = 0;
        MPI_Test(&inflight[i]->request, &flag, MPI_STATUS_IGNORE);
        if (flag) {
          inflight[i]->complete();
          inflight.erase(inflight.begin() + long(i));
          progressed = true;
        } else {
          double waited = std::chrono::duration<double>(Clock::now() - inflight[i]->t_start).count();
          if (waited > timeout) {
            std::fprintf(stderr,
                         "nabla::dist: rank %d: %s has not completed after %.0f s (another process died, hangs or "
                         "called a different collective); aborting the job (NABLA_DIST_TIMEOUT sets the limit)\n",
                         rank, inflight[i]->name, waited);
            abort_now(1);
          }
          ++i;
        }
      }
      // Waiting on a peer: give the core to the training threads (a 2-core machine runs two processes). After
      // a while without completions, poll every few microseconds instead of spinning.
      if (progressed) {
        idle_polls = 0;
      } else if (++idle_polls < spin_polls) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
      }
    }
    MPI_Comm_free(&comm);
    MPI_Finalize();
  }
};

MpiCommunicator::MpiCommunicator(MpiOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->timeout = options.timeout_seconds;
  if (const char* t = std::getenv("NABLA_DIST_TIMEOUT")) {
    char* end = nullptr;
    double v = std::strtod(t, &end);
    if (!(end && *end == '\0' && v > 0))
      throw ValueError(detail::concat("NABLA_DIST_TIMEOUT must be a positive number of seconds, got '", t, "'"));
    impl_->timeout = v;
  }
  std::promise<void> ready;
  std::future<void> started = ready.get_future();
  impl_->thread = std::thread([this, &ready] { impl_->run(ready); });
  try {
    started.get();
  } catch (...) {
    impl_->thread.join();
    throw;
  }
}

MpiCommunicator::~MpiCommunicator() {
  if (std::uncaught_exceptions() > 0) {
    std::fprintf(stderr, "nabla::dist: rank %d: leaving on an exception; aborting the job\n", impl_->rank);
    abort(1);
  }
  {
    std::lock_guard lock(impl_->m);
    impl_->stop = true;
  }
  impl_->cv.notify_one();
  impl_->thread.join();
}

int MpiCommunicator::rank() const { return impl_->rank; }
int MpiCommunicator::size() const { return impl_->size; }
int MpiCommunicator::local_size() const { return impl_->local_size; }

void MpiCommunicator::abort(int code) {
  impl_->abort_code.store(code);
  impl_->cv.notify_one();
  std::this_thread::sleep_for(std::chrono::seconds(30));  // the comm thread ends the process
  std::_Exit(code);
}

WorkPtr MpiCommunicator::allreduce_async(void* data, int64_t count, DType dtype, ReduceOp op) {
  auto w = std::make_shared<MpiWork>();
  w->name = "allreduce";
  const int n = checked_count(count, "allreduce");
  MPI_Datatype t = mpi_type(dtype);
  MPI_Op o = mpi_op(op);
  w->start = [=](MPI_Comm c, MPI_Request* r) { MPI_Iallreduce(MPI_IN_PLACE, data, n, t, o, c, r); };
  impl_->submit(w);
  return w;
}

void MpiCommunicator::broadcast(void* data, int64_t bytes, int root) {
  auto w = std::make_shared<MpiWork>();
  w->name = "broadcast";
  const int n = checked_count(bytes, "broadcast");
  w->start = [=](MPI_Comm c, MPI_Request* r) { MPI_Ibcast(data, n, MPI_BYTE, root, c, r); };
  impl_->submit(w);
  w->wait();
}

void MpiCommunicator::allgather(const void* send, int64_t bytes, void* recv) {
  auto w = std::make_shared<MpiWork>();
  w->name = "allgather";
  const int n = checked_count(bytes, "allgather");
  w->start = [=](MPI_Comm c, MPI_Request* r) { MPI_Iallgather(send, n, MPI_BYTE, recv, n, MPI_BYTE, c, r); };
  impl_->submit(w);
  w->wait();
}

void MpiCommunicator::barrier() {
  auto w = std::make_shared<MpiWork>();
  w->name = "barrier";
  w->start = [](MPI_Comm c, MPI_Request* r) { MPI_Ibarrier(c, r); };
  impl_->submit(w);
  w->wait();
}

}  // namespace nabla::dist
