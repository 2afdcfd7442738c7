// Losses to and from Keras's configs (get_config, from_config) and the loss registry. Keeps the numeric code in
// losses.cpp / losses_focal.cpp untouched.
#include <mutex>

#include "nabla/nn/serialization.h"
#include "nabla/train/losses.h"
#include "nabla/train/losses_focal.h"

namespace nabla::losses {

using saving::json;

namespace {
// Entries every loss shares: the name nabla uses is Keras's default; reduction must be Keras's default.
// Keras writes reduction as a string ("sum_over_batch_size", "sum", "mean", "none", ...); null means the default.
std::string reduction_of(const json& c, const std::string& who) {
  if (!c.contains("reduction") || c["reduction"].is_null()) return kSumOverBatchSize;
  return saving::get_string(c, "reduction", kSumOverBatchSize, who);
}
void check_base(const json& c, const std::string& who) {
  NABLA_CHECK(c.is_object(), who, ": expected an object, got ", c.dump());
  check_reduction(reduction_of(c, who));
  NABLA_CHECK(saving::get_int(c, "axis", -1, who) == -1, who, ": only axis -1 is supported, got ", c["axis"].dump());
}
}  // namespace

json Loss::get_config() const { return {{"name", name_}, {"reduction", reduction_}}; }

json SparseCategoricalCrossentropy::get_config() const {
  json c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["ignore_class"] = ignore_class_ ? json(*ignore_class_) : json(nullptr);
  return c;
}
std::shared_ptr<SparseCategoricalCrossentropy> SparseCategoricalCrossentropy::from_config(const json& c) {
  const std::string who = "SparseCategoricalCrossentropy config";
  check_base(c, who);
  std::optional<int64_t> ignore;
  if (c.contains("ignore_class") && !c["ignore_class"].is_null()) ignore = saving::get_int(c, "ignore_class", 0, who);
  return std::make_shared<SparseCategoricalCrossentropy>(saving::get_bool(c, "from_logits", false, who), ignore,
                                                         reduction_of(c, who));
}

json CategoricalCrossentropy::get_config() const {
  json c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  c["axis"] = -1;
  return c;
}
std::shared_ptr<CategoricalCrossentropy> CategoricalCrossentropy::from_config(const json& c) {
  const std::string who = "CategoricalCrossentropy config";
  check_base(c, who);
  return std::make_shared<CategoricalCrossentropy>(saving::get_bool(c, "from_logits", false, who),
                                                   saving::get_double(c, "label_smoothing", 0.0, who), reduction_of(c, who));
}

json BinaryCrossentropy::get_config() const {
  json c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  c["axis"] = -1;
  return c;
}
std::shared_ptr<BinaryCrossentropy> BinaryCrossentropy::from_config(const json& c) {
  const std::string who = "BinaryCrossentropy config";
  check_base(c, who);
  return std::make_shared<BinaryCrossentropy>(saving::get_bool(c, "from_logits", false, who),
                                              saving::get_double(c, "label_smoothing", 0.0, who), reduction_of(c, who));
}

std::shared_ptr<MeanSquaredError> MeanSquaredError::from_config(const json& c) {
  check_base(c, "MeanSquaredError config");
  return std::make_shared<MeanSquaredError>(reduction_of(c, "MeanSquaredError config"));
}

std::shared_ptr<MeanAbsoluteError> MeanAbsoluteError::from_config(const json& c) {
  check_base(c, "MeanAbsoluteError config");
  return std::make_shared<MeanAbsoluteError>(reduction_of(c, "MeanAbsoluteError config"));
}

// Keras 3.15 writes Huber's config without delta (so a Keras round trip resets it to 1.0); nabla writes delta
// when it is not the default so that its own round trip keeps it, and reads it when present.
json Huber::get_config() const {
  json c = Loss::get_config();
  if (delta_ != 1.0) c["delta"] = delta_;
  return c;
}
std::shared_ptr<Huber> Huber::from_config(const json& c) {
  const std::string who = "Huber config";
  check_base(c, who);
  return std::make_shared<Huber>(saving::get_double(c, "delta", 1.0, who), reduction_of(c, who));
}

json BinaryFocalCrossentropy::get_config() const {
  json c = Loss::get_config();
  c["from_logits"] = o_.from_logits;
  c["label_smoothing"] = o_.label_smoothing;
  c["axis"] = -1;
  c["apply_class_balancing"] = o_.apply_class_balancing;
  c["alpha"] = o_.alpha;
  c["gamma"] = o_.gamma;
  return c;
}
std::shared_ptr<BinaryFocalCrossentropy> BinaryFocalCrossentropy::from_config(const json& c) {
  const std::string who = "BinaryFocalCrossentropy config";
  check_base(c, who);
  Options o;
  o.apply_class_balancing = saving::get_bool(c, "apply_class_balancing", false, who);
  o.alpha = saving::get_double(c, "alpha", 0.25, who);
  o.gamma = saving::get_double(c, "gamma", 2.0, who);
  o.from_logits = saving::get_bool(c, "from_logits", false, who);
  o.label_smoothing = saving::get_double(c, "label_smoothing", 0.0, who);
  o.reduction = reduction_of(c, who);
  return std::make_shared<BinaryFocalCrossentropy>(o);
}

json CategoricalFocalCrossentropy::get_config() const {
  json c = Loss::get_config();
  c["from_logits"] = o_.from_logits;
  c["label_smoothing"] = o_.label_smoothing;
  c["axis"] = -1;
  c["alpha"] = o_.alpha.size() == 1 ? json(o_.alpha[0]) : json(o_.alpha);
  c["gamma"] = o_.gamma;
  return c;
}
CategoricalFocalCrossentropy::Options CategoricalFocalCrossentropy::options_from_config(const json& c,
                                                                                      const std::string& who) {
  check_base(c, who);
  Options o;
  if (c.contains("alpha") && c["alpha"].is_array()) {
    o.alpha.clear();
    for (const json& a : c["alpha"]) {
      NABLA_CHECK(a.is_number(), who, ": alpha must be a number or a list of numbers, got ", c["alpha"].dump());
      o.alpha.push_back(a.get<double>());
    }
  } else {
    o.alpha = {saving::get_double(c, "alpha", 0.25, who)};
  }
  o.gamma = saving::get_double(c, "gamma", 2.0, who);
  o.from_logits = saving::get_bool(c, "from_logits", false, who);
  o.label_smoothing = saving::get_double(c, "label_smoothing", 0.0, who);
  o.reduction = reduction_of(c, who);
  return o;
}
std::shared_ptr<CategoricalFocalCrossentropy> CategoricalFocalCrossentropy::from_config(const json& c) {
  return std::make_shared<CategoricalFocalCrossentropy>(options_from_config(c, "CategoricalFocalCrossentropy config"));
}
std::shared_ptr<SparseCategoricalFocalCrossentropy> SparseCategoricalFocalCrossentropy::from_config(const json& c) {
  const std::string who = "SparseCategoricalFocalCrossentropy config";
  saving::require_null(c, "ignore_class", who);
  return std::make_shared<SparseCategoricalFocalCrossentropy>(options_from_config(c, who));
}

namespace {
using LossRegistry = saving::Registry<Loss>;
std::mutex registry_mu;
template <class T>
void add_builtin(LossRegistry& r, const std::string& name) {
  r.add(name, [](const json& c) -> LossPtr { return T::from_config(c); });
}
LossRegistry& registry() {
  static LossRegistry* r = [] {
    auto* reg = new LossRegistry("loss");
    add_builtin<SparseCategoricalCrossentropy>(*reg, "SparseCategoricalCrossentropy");
    add_builtin<CategoricalCrossentropy>(*reg, "CategoricalCrossentropy");
    add_builtin<BinaryCrossentropy>(*reg, "BinaryCrossentropy");
    add_builtin<MeanSquaredError>(*reg, "MeanSquaredError");
    add_builtin<MeanAbsoluteError>(*reg, "MeanAbsoluteError");
    add_builtin<Huber>(*reg, "Huber");
    add_builtin<BinaryFocalCrossentropy>(*reg, "BinaryFocalCrossentropy");
    add_builtin<CategoricalFocalCrossentropy>(*reg, "CategoricalFocalCrossentropy");
    add_builtin<SparseCategoricalFocalCrossentropy>(*reg, "SparseCategoricalFocalCrossentropy");
    return reg;
  }();
  return *r;
}
}  // namespace

void register_loss_factory(const std::string& registered_name, std::function<LossPtr(const json&)> factory,
                           std::type_index type) {
  std::lock_guard<std::mutex> lock(registry_mu);
  registry().add(registered_name, std::move(factory), type);
}

json serialize(const Loss& loss) {
  std::string reg;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    reg = registry().registered_name(typeid(loss));
  }
  if (!reg.empty()) return saving::serialize_object("", saving::class_name_of_registered(reg), loss.get_config(), reg);
  NABLA_CHECK(!loss.class_name().empty(), "cannot serialize loss '", loss.name(),
              "': it has no Keras class name; register its class with losses::register_loss<T>(\"package>Name\")");
  return saving::serialize_object("keras.losses", loss.class_name(), loss.get_config());
}

LossPtr deserialize(const json& j) {
  if (j.is_string()) return get(j.get<std::string>());
  saving::ObjectSpec spec = saving::parse_object(j, "a loss");
  std::lock_guard<std::mutex> lock(registry_mu);
  return registry().create(spec);
}

}  // namespace nabla::losses
