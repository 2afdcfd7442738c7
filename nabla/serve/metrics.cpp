#include "nabla/serve/metrics.h"

#include <algorithm>
#include <cstdio>

namespace nabla::serve {

namespace {
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
std::string label_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                       const std::string& extra = "") {
  std::string s = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) s += ',';
    s += names[i];
    s += "=\"";
    s += prometheus_escape(values[i]);
    s += '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) s += ',';
    s += extra;
  }
  return s + "}";
}
}  // namespace

std::string prometheus_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

MetricFamily::MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
                           std::vector<double> buckets)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)),
      bounds_(std::move(buckets)) {}

void MetricFamily::add(const std::vector<std::string>& labels, double v) {
  std::lock_guard<std::mutex> lock(mu_);
  series_[labels].value += v;
}

void MetricFamily::set(const std::vector<std::string>& labels, double v) {
  std::lock_guard<std::mutex> lock(mu_);
  series_[labels].value = v;
}

void MetricFamily::observe(const std::vector<std::string>& labels, double v) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = series_[labels];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size(), 0);
  s.value += v;
  ++s.count;
  // First bound >= v; cumulative counts are formed when written.
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  if (it != bounds_.end()) ++s.buckets[size_t(it - bounds_.begin())];
}

void MetricFamily::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  series_.clear();
}

void MetricFamily::append_text(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP " + name_ + " " + help_ + "\n";
  out += "# TYPE " + name_ + (type_ == Type::kCounter ? " counter\n" : type_ == Type::kGauge ? " gauge\n" : " histogram\n");
  for (const auto& [labels, s] : series_) {
    if (type_ != Type::kHistogram) {
      out += name_ + label_text(label_names_, labels) + " " + number(s.value) + "\n";
      continue;
    }
    uint64_t cum = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cum += s.buckets.empty() ? 0 : s.buckets[i];
      out += name_ + "_bucket" + label_text(label_names_, labels, "le=\"" + number(bounds_[i]) + "\"") + " " +
             std::to_string(cum) + "\n";
    }
    out += name_ + "_bucket" + label_text(label_names_, labels, "le=\"+Inf\"") + " " + std::to_string(s.count) + "\n";
    out += name_ + "_sum" + label_text(label_names_, labels) + " " + number(s.value) + "\n";
    out += name_ + "_count" + label_text(label_names_, labels) + " " + std::to_string(s.count) + "\n";
  }
}

Metrics::Metrics()
    : requests_("nabla_serve_requests_total", "REST API requests by model, version, API and HTTP status.",
                MetricFamily::Type::kCounter, {"model", "version", "api", "code"}),
      errors_("nabla_serve_request_errors_total", "REST API requests answered with an error status.",
              MetricFamily::Type::kCounter, {"model", "version", "api", "code"}),
      latency_("nabla_serve_request_latency_seconds", "Time from the parsed request to the written response body.",
               MetricFamily::Type::kHistogram, {"model", "version", "api"},
               {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
      batch_size_("nabla_serve_batch_size", "Examples per batch run by the batcher.", MetricFamily::Type::kHistogram,
                  {"model", "version"}, {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}),
      padded_batch_size_("nabla_serve_padded_batch_size", "Batch size after padding to allowed_batch_sizes.",
                         MetricFamily::Type::kHistogram, {"model", "version"},
                         {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}) {}

void Metrics::record_request(const std::string& model, const std::string& version, const std::string& api,
                             int http_code, double seconds) {
  const std::string code = std::to_string(http_code);
  requests_.add({model, version, api, code}, 1);
  if (http_code >= 400) errors_.add({model, version, api, code}, 1);
  latency_.observe({model, version, api}, seconds);
}

void Metrics::record_batch(const std::string& model, const std::string& version, int64_t size, int64_t padded_size) {
  batch_size_.observe({model, version}, double(size));
  padded_batch_size_.observe({model, version}, double(padded_size));
}

std::string Metrics::prometheus_text(const std::string& gauges) const {
  std::string out;
  requests_.append_text(out);
  errors_.append_text(out);
  latency_.append_text(out);
  batch_size_.append_text(out);
  padded_batch_size_.append_text(out);
  out += gauges;
  return out;
}

}  // namespace nabla::serve
