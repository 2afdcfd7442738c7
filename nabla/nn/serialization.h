#pragma once
// Keras's serialize_keras_object / deserialize_keras_object shape, shared by every kind of object that describes
// itself (layers, initializers, regularizers, activations, schedules, optimizers, losses, metrics):
//
//   {"module": "keras.layers", "class_name": "Dense", "config": {...}, "registered_name": null}
//
// Built-in classes carry Keras's module and a null registered_name; a user's class registered as
// "MyPackage>MyLayer" carries module null, class_name "MyLayer" and registered_name "MyPackage>MyLayer", as
// keras.saving.register_keras_serializable(package="MyPackage") writes it. Registry<T> maps those names back to
// factories that rebuild an object from its config. Each kind keeps its own registry next to its classes
// (layers: nn/layer_registry.cpp, optimizers: optim/registry.cpp, ...); this file holds what they share.
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include "nabla/core/error.h"
#include "nabla/core/shape.h"

namespace nabla::saving {

using json = nlohmann::json;

// {"module", "class_name", "config", "registered_name"}; module and registered_name "" are written as null.
json serialize_object(const std::string& module, const std::string& class_name, json config,
                      const std::string& registered_name = "");

// A parsed serialized object. key is what registries look up: registered_name when set, else class_name.
struct ObjectSpec {
  std::string class_name;
  std::string registered_name;  // "" when null
  json config;
  const std::string& key() const { return registered_name.empty() ? class_name : registered_name; }
};
// Checks the shape (an object with a string class_name and an object config); `what` names the kind in errors.
ObjectSpec parse_object(const json& j, const std::string& what);

// Reading config entries with Keras's defaults; type mismatches throw ValueError naming `who` and the key.
double get_double(const json& cfg, const char* key, double fallback, const std::string& who);
int64_t get_int(const json& cfg, const char* key, int64_t fallback, const std::string& who);
bool get_bool(const json& cfg, const char* key, bool fallback, const std::string& who);
std::string get_string(const json& cfg, const char* key, const std::string& fallback, const std::string& who);
std::optional<double> get_optional_double(const json& cfg, const char* key, const std::string& who);
std::optional<int64_t> get_optional_int(const json& cfg, const char* key, const std::string& who);
std::vector<int64_t> get_ints(const json& cfg, const char* key, std::vector<int64_t> fallback, const std::string& who);
// Throws when key is present and not null: for Keras options nabla does not implement (constraints, ...).
void require_null(const json& cfg, const char* key, const std::string& who);

// Shapes as Keras writes them: the batch axis (and any unknown axis, -1 here) as null.
json shape_to_json(const Shape& s);
Shape shape_from_json(const json& j, const std::string& who);

// Class name -> factory for one kind of object. Built-in classes and users' registered classes share it; the
// type index lets serialize() find the registered name of a user's class from an object.
template <class T>
class Registry {
 public:
  using Factory = std::function<std::shared_ptr<T>(const json& config)>;
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(const std::string& name, Factory f, std::optional<std::type_index> type = std::nullopt) {
    factories_[name] = std::move(f);
    if (type) names_.insert_or_assign(*type, name);
  }
  bool contains(const std::string& name) const { return factories_.count(name) > 0; }
  // The registered name of a user's class, or "" for a built-in one.
  std::string registered_name(std::type_index type) const {
    auto it = names_.find(type);
    return it == names_.end() ? std::string() : it->second;
  }
  std::shared_ptr<T> create(const ObjectSpec& spec) const {
    auto it = factories_.find(spec.key());
    if (it == factories_.end()) {
      std::string known;
      for (const auto& [n, f] : factories_) known += (known.empty() ? "" : ", ") + n;
      throw ValueError(detail::concat("unknown ", kind_, " '", spec.key(), "' (known: ", known,
                                      "); register a custom class under its \"package>name\" first"));
    }
    return it->second(spec.config);
  }

 private:
  std::string kind_;
  std::map<std::string, Factory> factories_;
  std::map<std::type_index, std::string> names_;
};

// "MyPackage>MyLayer" -> "MyLayer" (Keras writes the part after '>' as class_name).
std::string class_name_of_registered(const std::string& registered_name);

}  // namespace nabla::saving
