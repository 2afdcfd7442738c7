#include "nabla/train/compile_utils.h"

namespace nabla::detail {

metrics::MetricPtr resolve_metric(const std::string& name, const metrics::MetricPtr& given, const losses::Loss& loss,
                                  bool weighted) {
  metrics::MetricPtr m = given ? given : metrics::get(name, loss.accuracy_metric());
  if (weighted) m->set_name("weighted_" + m->name());
  return m;
}

std::vector<std::string> output_log_names(const std::vector<std::string>& model_names, size_t outputs) {
  if (model_names.size() == outputs) return model_names;
  std::vector<std::string> names;
  for (size_t k = 0; k < outputs; ++k) names.push_back("output_" + std::to_string(k + 1));
  return names;
}

std::vector<metrics::MetricPtr> metrics_for_output(const std::vector<metrics::MetricPtr>& compiled,
                                                   const std::string& output, const losses::Loss& loss,
                                                   bool weighted, size_t outputs) {
  const std::string prefix = weighted ? "weighted_" : "";
  std::vector<metrics::MetricPtr> r;
  for (const auto& m : compiled) {
    std::string base = m->name().substr(m->name().rfind(prefix, 0) == 0 ? prefix.size() : 0);
    metrics::MetricPtr fresh;
    try {
      fresh = metrics::get(base, loss.accuracy_metric());
    } catch (const Error&) {
      throw ValueError("metric '" + m->name() + "' cannot be repeated for each of the model's " +
                       std::to_string(outputs) + " outputs; pass metrics by name to compile()");
    }
    fresh->set_name(output + "_" + m->name());
    r.push_back(fresh);
  }
  return r;
}

}  // namespace nabla::detail
