// Metrics to and from Keras's configs (get_config, from_config) and the metric registry. Keeps the numeric code
// in metrics.cpp and metrics/ untouched.
#include <mutex>

#include "nabla/nn/serialization.h"
#include "nabla/train/metrics.h"
#include "nabla/train/metrics/auc.h"
#include "nabla/train/metrics/keras_precision_recall.h"

namespace nabla::metrics {

using saving::json;

namespace {
std::string checked_name(const json& c, const std::string& fallback, const std::string& who) {
  NABLA_CHECK(c.is_object(), who, ": expected an object, got ", c.dump());
  std::string dt = saving::get_string(c, "dtype", "float32", who);
  NABLA_CHECK(dt == "float32", who, ": nabla's metrics report float32 results, got dtype '", dt, "'");
  return saving::get_string(c, "name", fallback, who);
}
template <class T>
std::shared_ptr<T> named(const json& c, const std::string& fallback, const std::string& who) {
  return std::make_shared<T>(checked_name(c, fallback, who));
}
}  // namespace

json Metric::get_config() const { return {{"name", name_}, {"dtype", "float32"}}; }

std::shared_ptr<MeanMetric> MeanMetric::from_config(const json& c) {
  return named<MeanMetric>(c, "mean", "Mean config");
}
std::shared_ptr<SparseCategoricalAccuracy> SparseCategoricalAccuracy::from_config(const json& c) {
  return named<SparseCategoricalAccuracy>(c, "sparse_categorical_accuracy", "SparseCategoricalAccuracy config");
}
std::shared_ptr<CategoricalAccuracy> CategoricalAccuracy::from_config(const json& c) {
  return named<CategoricalAccuracy>(c, "categorical_accuracy", "CategoricalAccuracy config");
}
std::shared_ptr<MeanSquaredError> MeanSquaredError::from_config(const json& c) {
  return named<MeanSquaredError>(c, "mean_squared_error", "MeanSquaredError config");
}
std::shared_ptr<MeanAbsoluteError> MeanAbsoluteError::from_config(const json& c) {
  return named<MeanAbsoluteError>(c, "mean_absolute_error", "MeanAbsoluteError config");
}

std::shared_ptr<Accuracy> Accuracy::from_config(const json& c) {
  return named<Accuracy>(c, "accuracy", "Accuracy config");
}

json TopKCategoricalAccuracy::get_config() const {
  json c = Metric::get_config();
  c["k"] = k_;
  return c;
}
std::shared_ptr<TopKCategoricalAccuracy> TopKCategoricalAccuracy::from_config(const json& c) {
  const std::string who = "TopKCategoricalAccuracy config";
  std::string name = checked_name(c, "top_k_categorical_accuracy", who);
  return std::make_shared<TopKCategoricalAccuracy>(saving::get_int(c, "k", 5, who), name);
}
json SparseTopKCategoricalAccuracy::get_config() const { return TopKCategoricalAccuracy::get_config(); }
std::shared_ptr<SparseTopKCategoricalAccuracy> SparseTopKCategoricalAccuracy::from_config(const json& c) {
  const std::string who = "SparseTopKCategoricalAccuracy config";
  std::string name = checked_name(c, "sparse_top_k_categorical_accuracy", who);
  NABLA_CHECK(!saving::get_bool(c, "from_sorted_ids", false, who), who, ": from_sorted_ids is not supported");
  return std::make_shared<SparseTopKCategoricalAccuracy>(saving::get_int(c, "k", 5, who), name);
}

// Keras writes thresholds as null (its default 0.5, or none with top_k), a number, or a one-element list.
json ThresholdedCounts::get_config() const {
  json c = Metric::get_config();
  c["thresholds"] = o_.thresholds ? json(*o_.thresholds) : json(nullptr);
  c["top_k"] = o_.top_k ? json(*o_.top_k) : json(nullptr);
  c["class_id"] = o_.class_id ? json(*o_.class_id) : json(nullptr);
  return c;
}
namespace {
PrecisionRecallOptions precision_recall_options(const json& c, const std::string& who) {
  PrecisionRecallOptions o;
  if (c.contains("thresholds") && !c["thresholds"].is_null()) {
    const json& t = c["thresholds"];
    NABLA_CHECK(t.is_number() || (t.is_array() && t.size() == 1 && t[0].is_number()), who,
                ": thresholds must be a number or a one-element list (nabla computes one threshold), got ", t.dump());
    o.thresholds = t.is_number() ? t.get<double>() : t[0].get<double>();
  }
  if (c.contains("top_k") && !c["top_k"].is_null()) o.top_k = saving::get_int(c, "top_k", 0, who);
  if (c.contains("class_id") && !c["class_id"].is_null()) o.class_id = saving::get_int(c, "class_id", 0, who);
  return o;
}
}  // namespace
std::shared_ptr<Precision> Precision::from_config(const json& c) {
  const std::string who = "Precision config";
  std::string name = checked_name(c, "precision", who);
  return std::make_shared<Precision>(precision_recall_options(c, who), name);
}
std::shared_ptr<Recall> Recall::from_config(const json& c) {
  const std::string who = "Recall config";
  std::string name = checked_name(c, "recall", who);
  return std::make_shared<Recall>(precision_recall_options(c, who), name);
}

json BinaryAccuracy::get_config() const {
  json c = Metric::get_config();
  c["threshold"] = threshold_;
  return c;
}
std::shared_ptr<BinaryAccuracy> BinaryAccuracy::from_config(const json& c) {
  const std::string who = "BinaryAccuracy config";
  return std::make_shared<BinaryAccuracy>(checked_name(c, "binary_accuracy", who),
                                          saving::get_double(c, "threshold", 0.5, who));
}

json AUC::get_config() const {
  json c = Metric::get_config();
  c["num_thresholds"] = o_.num_thresholds;
  c["curve"] = o_.curve == Curve::ROC ? "ROC" : "PR";
  c["summation_method"] = o_.summation == Summation::interpolation ? "interpolation"
                          : o_.summation == Summation::minoring    ? "minoring"
                                                                   : "majoring";
  c["multi_label"] = false;
  c["num_labels"] = nullptr;
  c["label_weights"] = nullptr;
  c["from_logits"] = o_.from_logits;
  if (o_.class_id >= 0) c["class_id"] = o_.class_id;  // nabla's one-vs-rest column; Keras's AUC has none
  return c;
}
std::shared_ptr<AUC> AUC::from_config(const json& c) {
  const std::string who = "AUC config";
  std::string name = checked_name(c, "auc", who);
  NABLA_CHECK(!saving::get_bool(c, "multi_label", false, who), who, ": multi_label is not supported");
  saving::require_null(c, "label_weights", who);
  AucOptions o;
  o.num_thresholds = int(saving::get_int(c, "num_thresholds", 200, who));
  std::string curve = saving::get_string(c, "curve", "ROC", who);
  NABLA_CHECK(curve == "ROC" || curve == "PR", who, ": curve must be ROC or PR, got '", curve, "'");
  o.curve = curve == "ROC" ? Curve::ROC : Curve::PR;
  std::string s = saving::get_string(c, "summation_method", "interpolation", who);
  NABLA_CHECK(s == "interpolation" || s == "minoring" || s == "majoring", who,
              ": summation_method must be interpolation, minoring or majoring, got '", s, "'");
  o.summation = s == "interpolation" ? Summation::interpolation
                : s == "minoring"    ? Summation::minoring
                                     : Summation::majoring;
  o.class_id = saving::get_int(c, "class_id", -1, who);
  o.from_logits = saving::get_bool(c, "from_logits", false, who);
  return std::make_shared<AUC>(o, name);
}

namespace {
using MetricRegistry = saving::Registry<Metric>;
std::mutex registry_mu;
template <class T>
void add_builtin(MetricRegistry& r, const std::string& name) {
  r.add(name, [](const json& c) -> MetricPtr { return T::from_config(c); });
}
MetricRegistry& registry() {
  static MetricRegistry* r = [] {
    auto* reg = new MetricRegistry("metric");
    add_builtin<MeanMetric>(*reg, "Mean");
    add_builtin<SparseCategoricalAccuracy>(*reg, "SparseCategoricalAccuracy");
    add_builtin<CategoricalAccuracy>(*reg, "CategoricalAccuracy");
    add_builtin<BinaryAccuracy>(*reg, "BinaryAccuracy");
    add_builtin<MeanSquaredError>(*reg, "MeanSquaredError");
    add_builtin<MeanAbsoluteError>(*reg, "MeanAbsoluteError");
    add_builtin<AUC>(*reg, "AUC");
    add_builtin<Accuracy>(*reg, "Accuracy");
    add_builtin<TopKCategoricalAccuracy>(*reg, "TopKCategoricalAccuracy");
    add_builtin<SparseTopKCategoricalAccuracy>(*reg, "SparseTopKCategoricalAccuracy");
    add_builtin<Precision>(*reg, "Precision");
    add_builtin<Recall>(*reg, "Recall");
    return reg;
  }();
  return *r;
}
}  // namespace

void register_metric_factory(const std::string& registered_name, std::function<MetricPtr(const json&)> factory,
                             std::type_index type) {
  std::lock_guard<std::mutex> lock(registry_mu);
  registry().add(registered_name, std::move(factory), type);
}

json serialize(const Metric& metric) {
  std::string reg;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    reg = registry().registered_name(typeid(metric));
  }
  if (!reg.empty())
    return saving::serialize_object("", saving::class_name_of_registered(reg), metric.get_config(), reg);
  NABLA_CHECK(!metric.class_name().empty(), "cannot serialize metric '", metric.name(),
              "': it has no Keras config here; register its class with metrics::register_metric<T>(\"package>Name\")");
  return saving::serialize_object("keras.metrics", metric.class_name(), metric.get_config());
}

MetricPtr deserialize(const json& j) {
  if (j.is_string()) return get(j.get<std::string>());
  saving::ObjectSpec spec = saving::parse_object(j, "a metric");
  std::lock_guard<std::mutex> lock(registry_mu);
  return registry().create(spec);
}

}  // namespace nabla::metrics
