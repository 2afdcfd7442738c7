#include "nabla/serve/rest_handler.h"

#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

#include "nabla/serve/json_tensor.h"
#include "nabla/serve/serve_error.h"

namespace nabla::serve {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void invalid(const std::string& msg) { throw ServeError(StatusCode::kInvalidArgument, msg); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool consume_prefix(std::string_view& s, std::string_view prefix) {
  if (s.size() < prefix.size() || !iequals(s.substr(0, prefix.size()), prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// %XX decoding (curl_easy_unescape, as TF Serving decodes model names and labels).
std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) && hex(s[i + 2])) {
      out += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A segment up to the next '/' or ':' ([^/:]+).
std::string_view segment(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && s[n] != '/' && s[n] != ':') ++n;
  std::string_view seg = s.substr(0, n);
  s.remove_prefix(n);
  return seg;
}

struct ModelPath {
  std::string name;
  VersionSpec spec;
  std::string method;       // POST: predict/classify/regress
  bool metadata = false;    // GET .../metadata
};

// TF Serving's kPredictionApiRegex / kModelStatusApiRegex (case-insensitive), parsed by hand.
bool parse_model_path(std::string_view path, bool post, ModelPath* out) {
  if (!consume_prefix(path, "/v1/models")) return false;
  if (path.empty()) return !post;  // GET /v1/models: "Missing model name"
  if (path[0] != '/') return false;
  path.remove_prefix(1);
  std::string_view name = segment(path);
  if (name.empty()) return false;
  out->name = url_decode(name);
  if (consume_prefix(path, "/versions/")) {
    size_t n = 0;
    while (n < path.size() && std::isdigit(static_cast<unsigned char>(path[n]))) ++n;
    if (n == 0) return false;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(path.data(), path.data() + n, v);
    if (ec != std::errc() || p != path.data() + n)
      invalid("Failed to convert version: " + std::string(path.substr(0, n)) + " to numeric.");
    out->spec.version = v;
    path.remove_prefix(n);
  } else if (consume_prefix(path, "/labels/")) {
    std::string_view label = segment(path);
    if (label.empty()) return false;
    out->spec.label = url_decode(label);
  }
  if (post) {
    if (!consume_prefix(path, ":")) return false;
    for (const char* m : {"predict", "classify", "regress"})
      if (iequals(path, m)) {
        out->method = m;
        return true;
      }
    return false;
  }
  if (path.empty()) return true;
  if (iequals(path, "/metadata")) {
    out->metadata = true;
    return true;
  }
  return false;
}

HttpResponse json_response(int status, std::string body) { return HttpResponse{status, std::move(body), "application/json"}; }

}  // namespace

std::string error_json(const std::string& message) {
  return "{ \"error\": " + nlohmann::json(message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + " }";
}

RestHandler::RestHandler(ModelManager& manager, Metrics& metrics, std::chrono::milliseconds timeout)
    : manager_(manager), metrics_(metrics), timeout_(timeout) {}

HttpResponse RestHandler::handle(const HttpRequest& req) const {
  const bool get = req.method == "GET", post = req.method == "POST";
  if (get && req.path == "/monitoring/prometheus/metrics")
    return {200, metrics_.prometheus_text(manager_.prometheus_gauges()), "text/plain; version=0.0.4"};
  if (get && req.path == "/healthz")
    return draining_ ? json_response(503, error_json("draining")) : json_response(200, "{\"status\": \"alive\"}");
  if (get && req.path == "/readyz") {
    std::string why;
    if (draining_) return json_response(503, error_json("draining: the server is shutting down"));
    if (!manager_.ready(&why)) return json_response(503, error_json("not ready: " + why));
    return json_response(200, "{\"status\": \"ready\"}");
  }
  const bool v1 = req.path.size() >= 4 && iequals(std::string_view(req.path).substr(0, 4), "/v1/");
  if (!v1) return json_response(404, error_json("Not found: " + req.method + " " + req.path));

  const auto start = Clock::now();
  ModelPath mp;
  std::string api = "unknown", version;
  HttpResponse res;
  try {
    if (!(get || post) || !parse_model_path(req.path, post, &mp))
      invalid("Malformed request: " + req.method + " " + req.path);
    if (mp.spec.version && mp.spec.label) {
      invalid("Both model version (" + std::to_string(*mp.spec.version) + ") and model version label (" +
              *mp.spec.label + ") cannot be supplied.");
    }
    if (mp.name.empty()) invalid("Missing model name in request.");
    if (get && !mp.metadata) {
      api = "status";
      res = json_response(200, manager_.model_status(mp.name, mp.spec).dump(1, ' ', false,
                                                                            nlohmann::json::error_handler_t::replace));
    } else if (get) {
      api = "metadata";
      auto s = manager_.servable(mp.name, mp.spec);
      version = std::to_string(s->version());
      nlohmann::json body = {
          {"model_spec", {{"name", mp.name}, {"signature_name", ""}, {"version", version}}},
          {"metadata",
           {{"signature_def", {{"signature_def", {{kDefaultServingSignature, signature_def_json(s->signature())}}}}}}}};
      res = json_response(200, body.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else if (mp.method == "predict") {
      api = "predict";
      std::shared_ptr<Servable> s;
      PredictRequest pr = parse_predict_request(req.body, [&](const std::string& sig_name) -> const Signature& {
        s = manager_.servable(mp.name, mp.spec);
        version = std::to_string(s->version());
        return s->signature(sig_name);
      });
      std::vector<Tensor> outputs = s->predict(pr.inputs, timeout_);
      res = json_response(200, predict_response_json(s->signature(pr.signature_name), outputs, pr.format));
    } else {
      // nabla models have a predict signature only; TF Serving answers classify/regress on such a model so.
      api = mp.method;
      std::string sig_name = parse_classify_request(req.body, mp.method == "classify");
      if (sig_name.empty()) sig_name = kDefaultServingSignature;
      auto s = manager_.servable(mp.name, mp.spec);
      version = std::to_string(s->version());
      if (sig_name != kDefaultServingSignature) invalid("No signature was found with the name: " + sig_name);
      const bool classify = mp.method == "classify";
      invalid(std::string("Expected ") + (classify ? "classification" : "regression") +
              " signature method_name to be tensorflow/serving/" + (classify ? "classify" : "regress") +
              ". Was: " + s->signature().method_name);
    }
  } catch (const ServeError& e) {
    res = json_response(http_status(e.code), error_json(e.what()));
  } catch (const std::bad_alloc&) {
    res = json_response(500, error_json("Out of memory while handling the request"));
  } catch (const std::exception& e) {
    res = json_response(500, error_json(e.what()));
  }
  // Only known models get series: request paths must not grow the metrics without bound.
  if (!mp.name.empty() && manager_.has_model(mp.name))
    metrics_.record_request(mp.name, version, api, res.status,
                            std::chrono::duration<double>(Clock::now() - start).count());
  return res;
}

}  // namespace nabla::serve
