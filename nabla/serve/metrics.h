#pragma once
// Prometheus metrics in the text exposition format (version 0.0.4), served at /monitoring/prometheus/metrics
// (TF Serving's path for its --monitoring_config_file). Counters and histograms are labelled by model, version
// and API; gauges (queue depth, version states) are read from the model manager when scraped.
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace nabla::serve {

class MetricFamily {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
               std::vector<double> buckets = {});
  void add(const std::vector<std::string>& labels, double v);      // counters
  void set(const std::vector<std::string>& labels, double v);      // gauges
  void observe(const std::vector<std::string>& labels, double v);  // histograms
  void append_text(std::string& out) const;
  void clear();

 private:
  struct Series {
    double value = 0;             // counter/gauge value, histogram sum
    uint64_t count = 0;           // histogram observations
    std::vector<uint64_t> buckets;  // histogram: observations <= bucket bound (cumulated when written)
  };
  std::string name_, help_;
  Type type_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, Series> series_;
};

class Metrics {
 public:
  Metrics();
  // One REST request: `api` is predict/classify/regress/metadata/status; `version` "" when none was resolved.
  void record_request(const std::string& model, const std::string& version, const std::string& api, int http_code,
                      double seconds);
  // One batch run by the batcher: its size in examples, and the size it was padded to.
  void record_batch(const std::string& model, const std::string& version, int64_t size, int64_t padded_size);
  // All families plus `gauges` (already in exposition format).
  std::string prometheus_text(const std::string& gauges) const;

 private:
  MetricFamily requests_, errors_, latency_, batch_size_, padded_batch_size_;
};

// A label value escaped for the exposition format.
std::string prometheus_escape(const std::string& s);

}  // namespace nabla::serve
