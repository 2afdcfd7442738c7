#include "nabla/nn/serialization.h"

namespace nabla::saving {

json serialize_object(const std::string& module, const std::string& class_name, json config,
                      const std::string& registered_name) {
  json j = json::object();
  j["module"] = module.empty() ? json(nullptr) : json(module);
  j["class_name"] = class_name;
  j["config"] = std::move(config);
  j["registered_name"] = registered_name.empty() ? json(nullptr) : json(registered_name);
  return j;
}

ObjectSpec parse_object(const json& j, const std::string& what) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    throw ValueError(detail::concat("cannot deserialize ", what, ": expected an object with a string \"class_name\", got ",
                                    j.dump().substr(0, 200)));
  ObjectSpec s;
  s.class_name = j["class_name"].get<std::string>();
  if (j.contains("registered_name") && j["registered_name"].is_string())
    s.registered_name = j["registered_name"].get<std::string>();
  // Keras writes registered_name = class_name for some built-ins (Functional); look those up by class_name.
  if (s.registered_name == s.class_name) s.registered_name.clear();
  s.config = j.contains("config") ? j["config"] : json::object();
  if (s.config.is_null()) s.config = json::object();
  return s;
}

namespace {
[[noreturn]] void bad(const std::string& who, const char* key, const char* want, const json& got) {
  throw ValueError(detail::concat(who, ": config entry \"", key, "\" must be ", want, ", got ", got.dump()));
}
const json* find(const json& cfg, const char* key) {
  if (!cfg.is_object()) return nullptr;
  auto it = cfg.find(key);
  return it == cfg.end() || it->is_null() ? nullptr : &*it;
}
}  // namespace

double get_double(const json& cfg, const char* key, double fallback, const std::string& who) {
  const json* v = find(cfg, key);
  if (!v) return fallback;
  if (!v->is_number()) bad(who, key, "a number", *v);
  return v->get<double>();
}

int64_t get_int(const json& cfg, const char* key, int64_t fallback, const std::string& who) {
  const json* v = find(cfg, key);
  if (!v) return fallback;
  if (!v->is_number_integer()) bad(who, key, "an integer", *v);
  return v->get<int64_t>();
}

bool get_bool(const json& cfg, const char* key, bool fallback, const std::string& who) {
  const json* v = find(cfg, key);
  if (!v) return fallback;
  if (!v->is_boolean()) bad(who, key, "true or false", *v);
  return v->get<bool>();
}

std::string get_string(const json& cfg, const char* key, const std::string& fallback, const std::string& who) {
  const json* v = find(cfg, key);
  if (!v) return fallback;
  if (!v->is_string()) bad(who, key, "a string", *v);
  return v->get<std::string>();
}

std::optional<double> get_optional_double(const json& cfg, const char* key, const std::string& who) {
  if (!find(cfg, key)) return std::nullopt;
  return get_double(cfg, key, 0, who);
}

std::optional<int64_t> get_optional_int(const json& cfg, const char* key, const std::string& who) {
  if (!find(cfg, key)) return std::nullopt;
  return get_int(cfg, key, 0, who);
}

std::vector<int64_t> get_ints(const json& cfg, const char* key, std::vector<int64_t> fallback, const std::string& who) {
  const json* v = find(cfg, key);
  if (!v) return fallback;
  if (v->is_number_integer()) return {v->get<int64_t>()};
  if (!v->is_array()) bad(who, key, "an integer or a list of integers", *v);
  std::vector<int64_t> r;
  for (const json& e : *v) {
    if (!e.is_number_integer()) bad(who, key, "a list of integers", *v);
    r.push_back(e.get<int64_t>());
  }
  return r;
}

void require_null(const json& cfg, const char* key, const std::string& who) {
  if (const json* v = find(cfg, key))
    throw ValueError(detail::concat(who, ": \"", key, "\" is not supported by nabla (got ", v->dump(), ")"));
}

json shape_to_json(const Shape& s) {
  json j = json::array();
  for (int64_t d : s) j.push_back(d < 0 ? json(nullptr) : json(d));
  return j;
}

Shape shape_from_json(const json& j, const std::string& who) {
  if (!j.is_array()) throw ValueError(detail::concat(who, ": a shape must be a list, got ", j.dump()));
  Shape s;
  for (const json& d : j) {
    if (d.is_null())
      s.push_back(-1);
    else if (d.is_number_integer())
      s.push_back(d.get<int64_t>());
    else
      throw ValueError(detail::concat(who, ": shape entries must be integers or null, got ", j.dump()));
  }
  return s;
}

std::string class_name_of_registered(const std::string& registered_name) {
  size_t p = registered_name.rfind('>');
  return p == std::string::npos ? registered_name : registered_name.substr(p + 1);
}

}  // namespace nabla::saving
