#pragma once
// Models and servers for the serving tests: a small Sequential model ([-1, 4] -> softmax over 3), saved as
// .keras into version directories, and an HTTP client for a server on a free loopback port.
#include <filesystem>
#include <memory>
#include <string>

#include "nabla/nabla.h"
#include "nabla/serve/servable.h"
#include "test_util.h"

namespace nabla::serve::testing {

inline std::shared_ptr<Sequential> small_model(const std::string& name = "") {
  auto m = std::make_shared<Sequential>(std::vector<nn::LayerPtr>{layers::Flatten({4}), layers::Dense(3, "softmax")}, name);
  m->build_if_possible();
  return m;
}

inline std::shared_ptr<Servable> small_servable(const std::string& name = "m", int64_t version = 1) {
  return std::make_shared<Servable>(name, version, small_model());
}

// Writes `model` as <base>/<version>/model.keras through a temporary directory renamed into place, as a
// deployment drops a version in (a poll never sees half a file).
inline void save_version(const Model& model, const std::string& base, int64_t version) {
  namespace fs = std::filesystem;
  fs::create_directories(base);
  const fs::path tmp = fs::path(base) / (".tmp-" + std::to_string(version));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  save_model(model, (tmp / "model.keras").string(), SaveOptions{.include_optimizer = false});
  fs::rename(tmp, fs::path(base) / std::to_string(version));
}

}  // namespace nabla::serve::testing
