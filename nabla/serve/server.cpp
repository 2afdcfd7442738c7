#include "nabla/serve/server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "nabla/core/error.h"

namespace nabla::serve {

namespace {
using Clock = std::chrono::steady_clock;
// Longer paths are refused before routing (cpp-httplib matches routes with std::regex, which recurses per
// character).
constexpr size_t kMaxPathBytes = 2048;

void write_response(const HttpResponse& r, httplib::Response& res) {
  res.status = r.status;
  res.set_content(r.body, r.content_type.c_str());
}
}  // namespace

struct Server::Impl {
  httplib::Server http;
  std::thread listener;
  int listen_fd = -1;
  std::atomic<int> in_flight{0};
  std::atomic<int64_t> last_request_end{0};  // Clock ticks
  std::mutex mu;
  std::condition_variable cv;
  bool started = false, stopped = false;

  // Counts a request from its headers to its response, for drain().
  struct Active {
    Impl* impl;
    explicit Active(Impl* i) : impl(i) { impl->in_flight.fetch_add(1); }
    ~Active() {
      impl->last_request_end.store(Clock::now().time_since_epoch().count());
      impl->in_flight.fetch_sub(1);
    }
  };
};

Server::Server(ServerOptions opts) : opts_(std::move(opts)), impl_(std::make_unique<Impl>()) {
  ManagerOptions mo;
  mo.batching = opts_.batching;
  mo.metrics = &metrics_;
  mo.log = opts_.log;
  manager_ = std::make_unique<ModelManager>(opts_.models, mo);
  handler_ = std::make_unique<RestHandler>(*manager_, metrics_, opts_.timeout);
}

Server::~Server() {
  bool running;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    running = impl_->started && !impl_->stopped;
  }
  if (running) drain();
  if (impl_->listener.joinable()) impl_->listener.join();
  manager_->stop_polling();
}

void Server::start() {
  httplib::Server& h = impl_->http;
  int threads = opts_.num_threads;
  if (threads <= 0) threads = std::max(16, 4 * int(std::thread::hardware_concurrency()));
  h.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  h.set_read_timeout(opts_.read_timeout);
  h.set_write_timeout(opts_.timeout);
  h.set_keep_alive_max_count(size_t(1) << 30);
  h.set_keep_alive_timeout(opts_.keep_alive_timeout.count());  // keep-alive clients (wrk, TF Serving clients) keep their connection
  h.set_socket_options([this](socket_t sock) {
    impl_->listen_fd = sock;
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // Inherited by accepted sockets: the header and body writes must not wait for delayed ACKs (40 ms).
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  });
  const size_t max_body = opts_.max_body_bytes;
  auto declared_too_large = [max_body](const httplib::Request& req) {
    return req.has_header("Content-Length") && req.get_header_value<uint64_t>("Content-Length") > max_body;
  };
  auto too_large = [max_body](httplib::Response& res) {
    res.status = 413;
    res.set_header("Connection", "close");
    res.set_content(error_json("Request body larger than the limit of " + std::to_string(max_body) + " bytes"),
                    "application/json");
  };
  h.set_expect_100_continue_handler([declared_too_large, too_large](const httplib::Request& req,
                                                                    httplib::Response& res) {
    if (!declared_too_large(req)) return 100;
    too_large(res);
    return 413;
  });
  h.set_pre_routing_handler([this, declared_too_large, too_large](const httplib::Request& req,
                                                                  httplib::Response& res) {
    Impl::Active active(impl_.get());
    if (req.path.size() > kMaxPathBytes) {
      res.status = 414;
      res.set_content(error_json("Request path longer than " + std::to_string(kMaxPathBytes) + " bytes"),
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "POST") {
      if (!declared_too_large(req)) return httplib::Server::HandlerResponse::Unhandled;  // body read below
      too_large(res);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) res.set_header("Connection", "close");
    write_response(handler_->handle(HttpRequest{req.method, req.path, ""}), res);
    return httplib::Server::HandlerResponse::Handled;
  });
  h.Post(".*", [this, max_body, too_large](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& reader) {
    Impl::Active active(impl_.get());
    const auto start = Clock::now();
    std::string body;
    bool over_limit = false, too_slow = false;
    const bool ok = reader([&](const char* data, size_t n) {
      if (body.size() + n > max_body) {
        over_limit = true;
        return false;
      }
      if (Clock::now() - start > opts_.timeout) {
        too_slow = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (over_limit) return too_large(res);
    if (!ok || too_slow) {
      res.status = too_slow ? 408 : 400;
      res.set_header("Connection", "close");
      res.set_content(error_json(too_slow ? "Request body not received within " +
                                                std::to_string(opts_.timeout.count()) + " ms"
                                          : "Could not read the request body"),
                      "application/json");
      return;
    }
    write_response(handler_->handle(HttpRequest{"POST", req.path, std::move(body)}), res);
  });

  port_ = opts_.port == 0 ? h.bind_to_any_port(opts_.host) : (h.bind_to_port(opts_.host, opts_.port) ? opts_.port : -1);
  if (port_ <= 0)
    throw IOError("nabla-serve: cannot bind " + opts_.host + ":" + std::to_string(opts_.port) +
                  " (in use, or not an address of this machine)");
  // cpp-httplib listens with a backlog of 5: 64 clients connecting at once would have SYNs dropped and retried a
  // second later (a 1 s latency spike, or a refused connection once draining closes the listener).
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, SOMAXCONN);
  impl_->listener = std::thread([this] { impl_->http.listen_after_bind(); });
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->started = true;
  }
  manager_->start_polling(opts_.poll_interval);
}

void Server::drain() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->started || impl_->stopped) return;
  }
  handler_->set_draining(true);
  if (opts_.log) *opts_.log << "nabla-serve: draining (not ready; answering requests until idle)" << std::endl;
  // Grace period: requests keep coming while load balancers notice /readyz; stop once none has run for
  // drain_quiet.
  const auto deadline = Clock::now() + opts_.drain_timeout;
  impl_->last_request_end.store(Clock::now().time_since_epoch().count());
  while (Clock::now() < deadline) {
    const auto last = Clock::time_point(Clock::duration(impl_->last_request_end.load()));
    if (impl_->in_flight.load() == 0 && Clock::now() - last >= opts_.drain_quiet) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Closes the listener; the pool finishes the requests it has, then its threads end.
  impl_->http.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
  manager_->stop_polling();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopped = true;
  }
  impl_->cv.notify_all();
  if (opts_.log) *opts_.log << "nabla-serve: stopped" << std::endl;
}

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace nabla::serve
