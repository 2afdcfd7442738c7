#pragma once
// RestHandler: TF Serving's REST API (tensorflow_serving/g3doc/api_rest.md) as a function from a request (method,
// path, body) to a response (status, body), so that it can be tested and fuzzed without sockets; server.h puts it
// behind HTTP. Routes:
//   GET  /v1/models/{name}[/versions/{v} | /labels/{l}]             model status
//   GET  /v1/models/{name}[/versions/{v} | /labels/{l}]/metadata    signature_def of serving_default
//   POST /v1/models/{name}[/versions/{v} | /labels/{l}]:predict     instances/inputs -> predictions/outputs
//   POST ...:classify, ...:regress                                  TF Serving's answer for a model without such
//                                                                   signatures (400)
//   GET  /monitoring/prometheus/metrics                             Prometheus text
//   GET  /readyz, /healthz                                          readiness (after warm-up; 503 while draining)
//                                                                   and liveness
// Errors are {"error": "<message>"} with TF Serving's status mapping: 400 malformed JSON and wrong shapes,
// 404 unknown model/version/label, 429 full batching queue, 503 no version available, 504 timeout.
#include <atomic>
#include <chrono>
#include <string>

#include "nabla/serve/metrics.h"
#include "nabla/serve/model_manager.h"

namespace nabla::serve {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class RestHandler {
 public:
  RestHandler(ModelManager& manager, Metrics& metrics,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  HttpResponse handle(const HttpRequest& req) const;
  // While draining, /readyz and /healthz answer 503 (requests are still served).
  void set_draining(bool on) { draining_ = on; }
  bool draining() const { return draining_; }

 private:
  ModelManager& manager_;
  Metrics& metrics_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> draining_{false};
};

// The body TF Serving writes for an error.
std::string error_json(const std::string& message);

}  // namespace nabla::serve
