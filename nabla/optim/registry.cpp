// Optimizers by Keras name, their Keras configs, and rebuilding them from configs. One explicit table (not
// self-registration from each file), because a static library drops object files that nothing references.
#include <mutex>

#include "nabla/nn/serialization.h"
#include "nabla/optim/adam.h"
#include "nabla/optim/rmsprop.h"
#include "nabla/optim/schedules.h"
#include "nabla/optim/sgd.h"

namespace nabla::optim {

using saving::json;

OptimizerPtr get(const std::string& name) {
  if (name == "adam") return std::make_shared<Adam>();
  if (name == "adamw") return AdamW();
  if (name == "sgd") return std::make_shared<SGD>();
  if (name == "rmsprop") return std::make_shared<RMSprop>();
  throw ValueError("unknown optimizer '" + name + "' (known: adam, adamw, rmsprop, sgd)");
}

namespace {
json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// Keras names an optimizer after its class in snake case ("adam", "adam_w", "rm_sprop").
std::string keras_default_name(const std::string& class_name) {
  if (class_name == "Adam") return "adam";
  if (class_name == "AdamW") return "adam_w";
  if (class_name == "SGD") return "sgd";
  if (class_name == "RMSprop") return "rm_sprop";
  return class_name;
}

using OptimizerRegistry = saving::Registry<Optimizer>;
std::mutex registry_mu;
OptimizerRegistry& registry() {
  static OptimizerRegistry* r = [] {
    auto* reg = new OptimizerRegistry("optimizer");
    reg->add("Adam", [](const json& c) -> OptimizerPtr { return Adam::from_config(c, "Adam"); });
    reg->add("AdamW", [](const json& c) -> OptimizerPtr { return Adam::from_config(c, "AdamW"); });
    reg->add("SGD", [](const json& c) -> OptimizerPtr { return SGD::from_config(c); });
    reg->add("RMSprop", [](const json& c) -> OptimizerPtr { return RMSprop::from_config(c); });
    return reg;
  }();
  return *r;
}
}  // namespace

json Optimizer::get_config() const {
  json c = json::object();
  c["name"] = keras_default_name(class_name());
  c["learning_rate"] = opts_.schedule ? serialize_schedule(opts_.schedule) : json(opts_.learning_rate);
  // Keras writes null when there is no decay (and AdamW always writes its value).
  c["weight_decay"] = opts_.weight_decay != 0 || class_name() == "AdamW" ? json(opts_.weight_decay) : json(nullptr);
  c["clipnorm"] = optional_json(opts_.clipnorm);
  c["global_clipnorm"] = optional_json(opts_.global_clipnorm);
  c["clipvalue"] = optional_json(opts_.clipvalue);
  c["use_ema"] = false;
  c["ema_momentum"] = 0.99;
  c["ema_overwrite_frequency"] = nullptr;
  c["loss_scale_factor"] = nullptr;
  c["gradient_accumulation_steps"] = nullptr;
  return c;
}

void load_base_config(OptimizerOptions& o, const json& c, const std::string& who) {
  NABLA_CHECK(c.is_object(), who, ": expected an object, got ", c.dump());
  NABLA_CHECK(!saving::get_bool(c, "use_ema", false, who), who, ": use_ema is not supported");
  saving::require_null(c, "loss_scale_factor", who);
  saving::require_null(c, "gradient_accumulation_steps", who);
  if (c.contains("learning_rate")) {
    const json& lr = c["learning_rate"];
    if (lr.is_object())
      o.schedule = deserialize_schedule(lr);
    else
      o.learning_rate = saving::get_double(c, "learning_rate", o.learning_rate, who);
  }
  o.clipnorm = saving::get_optional_double(c, "clipnorm", who);
  o.global_clipnorm = saving::get_optional_double(c, "global_clipnorm", who);
  o.clipvalue = saving::get_optional_double(c, "clipvalue", who);
  if (c.contains("weight_decay") && !c["weight_decay"].is_null())
    o.weight_decay = saving::get_double(c, "weight_decay", 0.0, who);
}

json Adam::get_config() const {
  json c = Optimizer::get_config();
  c["beta_1"] = a_.beta_1;
  c["beta_2"] = a_.beta_2;
  c["epsilon"] = a_.epsilon;
  c["amsgrad"] = a_.amsgrad;
  return c;
}

std::shared_ptr<Adam> Adam::from_config(const json& c, const std::string& class_name) {
  const std::string who = class_name + " config";
  AdamOptions o;
  if (class_name == "AdamW") o.weight_decay = 0.004;
  load_base_config(o, c, who);
  o.beta_1 = saving::get_double(c, "beta_1", 0.9, who);
  o.beta_2 = saving::get_double(c, "beta_2", 0.999, who);
  o.epsilon = saving::get_double(c, "epsilon", 1e-7, who);
  o.amsgrad = saving::get_bool(c, "amsgrad", false, who);
  return std::make_shared<Adam>(o, class_name);
}

json SGD::get_config() const {
  json c = Optimizer::get_config();
  c["momentum"] = s_.momentum;
  c["nesterov"] = s_.nesterov;
  return c;
}

std::shared_ptr<SGD> SGD::from_config(const json& c) {
  const std::string who = "SGD config";
  SGDOptions o;
  load_base_config(o, c, who);
  o.momentum = saving::get_double(c, "momentum", 0.0, who);
  o.nesterov = saving::get_bool(c, "nesterov", false, who);
  return std::make_shared<SGD>(o);
}

json RMSprop::get_config() const {
  json c = Optimizer::get_config();
  c["rho"] = r_.rho;
  c["momentum"] = r_.momentum;
  c["epsilon"] = r_.epsilon;
  c["centered"] = r_.centered;
  return c;
}

std::shared_ptr<RMSprop> RMSprop::from_config(const json& c) {
  const std::string who = "RMSprop config";
  RMSpropOptions o;
  load_base_config(o, c, who);
  o.rho = saving::get_double(c, "rho", 0.9, who);
  o.momentum = saving::get_double(c, "momentum", 0.0, who);
  o.epsilon = saving::get_double(c, "epsilon", 1e-7, who);
  o.centered = saving::get_bool(c, "centered", false, who);
  return std::make_shared<RMSprop>(o);
}

void register_optimizer_factory(const std::string& registered_name, std::function<OptimizerPtr(const json&)> factory,
                                std::type_index type) {
  std::lock_guard<std::mutex> lock(registry_mu);
  registry().add(registered_name, std::move(factory), type);
}

json serialize(const Optimizer& optimizer) {
  std::string reg;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    reg = registry().registered_name(typeid(optimizer));
  }
  if (!reg.empty())
    return saving::serialize_object("", saving::class_name_of_registered(reg), optimizer.get_config(), reg);
  return saving::serialize_object("keras.optimizers", optimizer.class_name(), optimizer.get_config());
}

OptimizerPtr deserialize(const json& j) {
  if (j.is_string()) return get(j.get<std::string>());
  saving::ObjectSpec spec = saving::parse_object(j, "an optimizer");
  std::lock_guard<std::mutex> lock(registry_mu);
  return registry().create(spec);
}

}  // namespace nabla::optim
