#pragma once
// ModelManager: the models a server serves and the versions of each (TF Serving's ServerCore with an
// AspiredVersionsManager and file-system polling). Each configured model has a base path of integer-named
// version directories; its version policy says which it wants (latest N, all, specific). A poll loads wanted
// versions that are not loaded (LOADING, warm-up, then AVAILABLE; a failed load ends in END with its error, and is
// retried only once the directory's files change) and unloads versions no longer wanted once a wanted one is
// AVAILABLE, so a new version takes over without a gap and a broken one leaves the serving one in place.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "nabla/serve/metrics.h"
#include "nabla/serve/servable.h"
#include "nabla/serve/server_config.h"

namespace nabla::serve {

// TF Serving's ModelVersionStatus.State names.
enum class ModelVersionState { kStart, kLoading, kAvailable, kUnloading, kEnd };
const char* state_name(ModelVersionState s);

struct ManagerOptions {
  std::optional<BatchingParameters> batching;  // --enable_batching
  bool warm_up = true;
  Metrics* metrics = nullptr;                  // batch sizes go here
  std::ostream* log = nullptr;                 // load/unload messages (nabla-serve: stderr)
  // How a version directory becomes a servable (tests inject failures and delays here).
  std::function<std::shared_ptr<Servable>(const std::string& name, int64_t version, const std::string& dir)> loader =
      load_servable;
};

// Which version a request names: /versions/{v}, /labels/{l}, or neither (the latest available).
struct VersionSpec {
  std::optional<int64_t> version;
  std::optional<std::string> label;
};

class ModelManager {
 public:
  explicit ModelManager(std::vector<ModelConfig> models, ManagerOptions opts = {});
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // One pass over every model's base path (see above). Returns after the loads and unloads it started.
  void poll_once();
  // poll_once now and then every `interval` on a background thread until stop_polling (interval 0: once only,
  // as --file_system_poll_wait_seconds=0).
  void start_polling(std::chrono::milliseconds interval);
  void stop_polling();
  // Serves an in-memory model as a version of `s->name()` (embedding programs, tests, fuzzing).
  void add_servable(const std::shared_ptr<Servable>& s);

  // The servable a request should run on. Throws ServeError: NOT_FOUND for an unknown model, version or label,
  // UNAVAILABLE while the model has no AVAILABLE version.
  std::shared_ptr<Servable> servable(const std::string& name, const VersionSpec& spec) const;
  // GetModelStatusResponse JSON: {"model_version_status": [{"version": "1", "state": "AVAILABLE",
  // "status": {"error_code": "OK", "error_message": ""}}]}. Throws NOT_FOUND as TF Serving does.
  nlohmann::json model_status(const std::string& name, const VersionSpec& spec) const;
  // Ready: every model's first poll done (its versions loaded and warmed up, or failed) and each with an
  // AVAILABLE version; a later hot reload does not make it unready. `why` says what is missing otherwise.
  bool ready(std::string* why = nullptr) const;
  bool has_model(const std::string& name) const;
  // Gauges in Prometheus text: batching queue depth and version states.
  std::string prometheus_gauges() const;

 private:
  struct VersionEntry {
    ModelVersionState state = ModelVersionState::kStart;
    std::string error;                   // why the load failed
    std::string fingerprint;             // the directory as last tried
    std::shared_ptr<Servable> servable;  // while AVAILABLE
  };
  struct ModelEntry {
    ModelConfig config;
    bool from_disk = true;
    bool polled = false;
    std::map<int64_t, VersionEntry> versions;
  };
  void poll_model(const std::string& name);
  std::shared_ptr<Servable> load_version(const ModelConfig& config, int64_t version, const std::string& dir);
  int64_t resolve_label(const ModelEntry& m, const std::string& label) const;
  void log(const std::string& line) const;

  ManagerOptions opts_;
  mutable std::mutex mu_;
  std::map<std::string, ModelEntry> models_;
  std::mutex poll_mu_;  // one poll at a time
  std::thread poller_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
};

}  // namespace nabla::serve
