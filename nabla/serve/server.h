#pragma once
// Server: nabla-serve as a class a program can embed. It binds a loopback (or given) address, loads and polls the
// configured models in the background (so /readyz reports progress while they warm up), and answers TF Serving's
// REST API through RestHandler on cpp-httplib's thread pool. Bodies above max_body_bytes are refused with 413
// from their Content-Length (or as soon as a chunked body passes the limit) without being read; a client that
// stalls for read_timeout, or takes longer than the request timeout to send its body, is cut off (408).
// drain() is the graceful stop (SIGTERM in nabla-serve): not ready any more, requests that arrive are still
// answered until none has run for a quiet period (bounded by drain_timeout), then the listener closes and the
// requests in progress finish.
#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "nabla/serve/metrics.h"
#include "nabla/serve/model_manager.h"
#include "nabla/serve/rest_handler.h"
#include "nabla/serve/server_config.h"

namespace nabla::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8501;                                   // --rest_api_port; 0 picks a free port
  std::vector<ModelConfig> models;                   // --model_name/--model_base_path or --model_config_file
  std::chrono::milliseconds poll_interval{1000};     // --file_system_poll_wait_seconds (0: load once)
  std::optional<BatchingParameters> batching;        // --enable_batching (+ --batching_parameters_file)
  int num_threads = 0;                               // --rest_api_num_threads (0: 4 x CPUs, at least 16)
  std::chrono::milliseconds timeout{30000};          // --rest_api_timeout_in_ms: body upload and batching wait
  std::chrono::milliseconds read_timeout{5000};      // a stalled client is dropped after this
  std::chrono::seconds keep_alive_timeout{5};        // an idle keep-alive connection is closed after this
  size_t max_body_bytes = size_t(64) << 20;          // larger requests get 413
  std::chrono::milliseconds drain_quiet{200};        // drain: idle time that ends the grace period
  std::chrono::milliseconds drain_timeout{10000};    // drain: longest grace period
  std::ostream* log = nullptr;                       // load/unload/drain messages
};

class Server {
 public:
  explicit Server(ServerOptions opts);
  ~Server();  // drain() if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads; models load in the background. Throws IOError if the
  // address cannot be bound.
  void start();
  int port() const { return port_; }
  // Graceful stop (see above); returns when every request has been answered and the threads are gone.
  void drain();
  // Blocks until drain() has finished (from another thread or a signal handler's thread).
  void wait();

  ModelManager& manager() { return *manager_; }
  Metrics& metrics() { return metrics_; }
  const RestHandler& handler() const { return *handler_; }

 private:
  struct Impl;
  ServerOptions opts_;
  Metrics metrics_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<RestHandler> handler_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace nabla::serve
