#pragma once
// ServeError: a request failure with the canonical status code TF Serving attaches to it (absl::StatusCode), so
// that the REST layer maps it to the same HTTP status TF Serving's http_server.cc does (ToHTTPStatusCode).
#include <stdexcept>
#include <string>

namespace nabla::serve {

enum class StatusCode {
  kInvalidArgument,     // 400: malformed JSON, wrong shapes or dtypes
  kFailedPrecondition,  // 400
  kNotFound,            // 404: unknown model, version or label
  kResourceExhausted,   // 429: the batching queue is full
  kUnavailable,         // 503: no version of the model is available (yet), or the server is draining
  kDeadlineExceeded,    // 504: --rest_api_timeout_in_ms passed
  kUnimplemented,       // 501
  kInternal,            // 500
};

int http_status(StatusCode code);
// "INVALID_ARGUMENT", ... (absl's names, as in TF Serving's status JSON and nested error messages).
const char* status_code_name(StatusCode code);

struct ServeError : std::runtime_error {
  ServeError(StatusCode c, const std::string& message) : std::runtime_error(message), code(c) {}
  StatusCode code;
};

}  // namespace nabla::serve
