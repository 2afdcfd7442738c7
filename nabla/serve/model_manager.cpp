#include "nabla/serve/model_manager.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include "nabla/serve/serve_error.h"

namespace nabla::serve {

namespace fs = std::filesystem;

const char* state_name(ModelVersionState s) {
  switch (s) {
    case ModelVersionState::kStart: return "START";
    case ModelVersionState::kLoading: return "LOADING";
    case ModelVersionState::kAvailable: return "AVAILABLE";
    case ModelVersionState::kUnloading: return "UNLOADING";
    case ModelVersionState::kEnd: return "END";
  }
  return "UNKNOWN";
}

namespace {

// Integer-named subdirectories of base_path (other names are ignored, as TF Serving does).
std::map<int64_t, std::string> version_dirs(const std::string& base_path, std::string* error) {
  std::map<int64_t, std::string> out;
  std::error_code ec;
  fs::directory_iterator it(base_path, ec), end;
  if (ec) {
    *error = base_path + ": " + ec.message();
    return out;
  }
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::string n = it->path().filename().string();
    if (n.empty() || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    std::error_code ec2;
    if (!it->is_directory(ec2)) continue;
    int64_t v = 0;
    auto [p, err] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (err == std::errc() && p == n.data() + n.size()) out[v] = it->path().string();
  }
  return out;
}

// Names, sizes and times of a version directory's files: a failed version is tried again once this changes.
std::string fingerprint(const std::string& dir) {
  std::string fp;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::error_code ec2;
    fp += e.path().filename().string() + ":" + std::to_string(e.is_regular_file(ec2) ? e.file_size(ec2) : 0) + ":" +
          std::to_string(e.last_write_time(ec2).time_since_epoch().count()) + ";";
  }
  return fp;
}

std::set<int64_t> aspired(const VersionPolicy& p, const std::map<int64_t, std::string>& on_disk) {
  std::set<int64_t> out;
  switch (p.kind) {
    case VersionPolicy::Kind::kLatest: {
      int64_t n = 0;
      for (auto it = on_disk.rbegin(); it != on_disk.rend() && n < p.num_versions; ++it, ++n) out.insert(it->first);
      break;
    }
    case VersionPolicy::Kind::kAll:
      for (const auto& [v, d] : on_disk) out.insert(v);
      break;
    case VersionPolicy::Kind::kSpecific:
      for (int64_t v : p.versions)
        if (on_disk.count(v)) out.insert(v);
      break;
  }
  return out;
}

[[noreturn]] void not_found(const std::string& msg) { throw ServeError(StatusCode::kNotFound, msg); }

}  // namespace

ModelManager::ModelManager(std::vector<ModelConfig> models, ManagerOptions opts) : opts_(std::move(opts)) {
  for (auto& m : models) {
    const std::string name = m.name;
    models_[name].config = std::move(m);
  }
}

ModelManager::~ModelManager() { stop_polling(); }

void ModelManager::log(const std::string& line) const {
  if (opts_.log) *opts_.log << "nabla-serve: " << line << std::endl;
}

void ModelManager::add_servable(const std::shared_ptr<Servable>& s) {
  std::lock_guard<std::mutex> lock(mu_);
  ModelEntry& m = models_[s->name()];
  if (m.config.name.empty()) {
    m.config.name = s->name();
    m.from_disk = false;
  }
  m.polled = true;
  VersionEntry& v = m.versions[s->version()];
  v.state = ModelVersionState::kAvailable;
  v.error.clear();
  v.servable = s;
}

std::shared_ptr<Servable> ModelManager::load_version(const ModelConfig& config, int64_t version,
                                                     const std::string& dir) {
  std::shared_ptr<Servable> s = opts_.loader(config.name, version, dir);
  if (opts_.batching) {
    Metrics* metrics = opts_.metrics;
    const std::string name = config.name, v = std::to_string(version);
    s->enable_batching(*opts_.batching, [metrics, name, v](int64_t size, int64_t padded) {
      if (metrics) metrics->record_batch(name, v, size, padded);
    });
  }
  if (opts_.warm_up) s->warm_up();
  return s;
}

void ModelManager::poll_model(const std::string& name) {
  ModelConfig config;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const ModelEntry& m = models_.at(name);
    if (!m.from_disk) return;
    config = m.config;
  }
  std::string list_error;
  const std::map<int64_t, std::string> on_disk = version_dirs(config.base_path, &list_error);
  if (!list_error.empty()) log("model '" + name + "': cannot list versions: " + list_error);
  else if (on_disk.empty()) log("model '" + name + "': no versions found under base path " + config.base_path);
  const std::set<int64_t> wanted = aspired(config.version_policy, on_disk);

  // Newest first: with latest{N} the newest is the one requests go to.
  for (auto it = wanted.rbegin(); it != wanted.rend(); ++it) {
    const int64_t v = *it;
    const std::string& dir = on_disk.at(v);
    const std::string fp = fingerprint(dir);
    {
      std::lock_guard<std::mutex> lock(mu_);
      VersionEntry& e = models_.at(name).versions[v];
      if (e.state == ModelVersionState::kAvailable || e.state == ModelVersionState::kLoading) continue;
      if (e.state == ModelVersionState::kEnd && !e.error.empty() && e.fingerprint == fp) continue;
      e.state = ModelVersionState::kLoading;
      e.error.clear();
      e.fingerprint = fp;
    }
    log("loading servable version {name: " + name + " version: " + std::to_string(v) + "} from " + dir);
    std::shared_ptr<Servable> s;
    std::string error;
    try {
      s = load_version(config, v, dir);
    } catch (const std::exception& ex) {
      error = ex.what();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      VersionEntry& e = models_.at(name).versions[v];
      if (s) {
        e.state = ModelVersionState::kAvailable;
        e.servable = s;
      } else {
        e.state = ModelVersionState::kEnd;
        e.error = error;
      }
    }
    log(s ? "successfully loaded servable version {name: " + name + " version: " + std::to_string(v) + "}"
          : "failed to load servable version {name: " + name + " version: " + std::to_string(v) + "}: " + error);
  }

  // Unload what is no longer wanted, once something wanted serves.
  std::vector<std::shared_ptr<Servable>> released;
  std::vector<int64_t> unloaded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ModelEntry& m = models_.at(name);
    bool wanted_available = false;
    for (int64_t v : wanted)
      if (m.versions.count(v) && m.versions[v].state == ModelVersionState::kAvailable) wanted_available = true;
    for (auto& [v, e] : m.versions) {
      if (wanted.count(v) || e.state != ModelVersionState::kAvailable || !wanted_available) continue;
      e.state = ModelVersionState::kUnloading;
      released.push_back(std::move(e.servable));
      e.servable.reset();
      e.state = ModelVersionState::kEnd;
      unloaded.push_back(v);
    }
    m.polled = true;
  }
  released.clear();  // requests still running on these hold their own references
  for (int64_t v : unloaded)
    log("unloaded servable version {name: " + name + " version: " + std::to_string(v) + "}");
}

void ModelManager::poll_once() {
  std::lock_guard<std::mutex> poll_lock(poll_mu_);
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [n, m] : models_) names.push_back(n);
  }
  for (const auto& n : names) poll_model(n);
}

void ModelManager::start_polling(std::chrono::milliseconds interval) {
  stop_polling();
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = false;
  }
  poller_ = std::thread([this, interval] {
    poll_once();
    if (interval.count() <= 0) return;
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, interval, [this] { return stop_; })) {
      lock.unlock();
      poll_once();
      lock.lock();
    }
  });
}

void ModelManager::stop_polling() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

int64_t ModelManager::resolve_label(const ModelEntry& m, const std::string& label) const {
  auto it = m.config.version_labels.find(label);
  // TF Serving answers this with INVALID_ARGUMENT; nabla with NOT_FOUND, as for an unknown version.
  if (it == m.config.version_labels.end()) not_found("Unrecognized servable version label: " + label);
  return it->second;
}

std::shared_ptr<Servable> ModelManager::servable(const std::string& name, const VersionSpec& spec) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto mit = models_.find(name);
  std::optional<int64_t> version = spec.version;
  if (mit == models_.end()) {
    not_found("Servable not found for request: " +
              (version ? "Specific(" + name + ", " + std::to_string(*version) + ")" : "Latest(" + name + ")"));
  }
  const ModelEntry& m = mit->second;
  if (spec.label) version = resolve_label(m, *spec.label);
  if (version) {
    auto vit = m.versions.find(*version);
    if (vit == m.versions.end() || vit->second.state != ModelVersionState::kAvailable)
      not_found("Servable not found for request: Specific(" + name + ", " + std::to_string(*version) + ")");
    return vit->second.servable;
  }
  for (auto it = m.versions.rbegin(); it != m.versions.rend(); ++it)
    if (it->second.state == ModelVersionState::kAvailable) return it->second.servable;
  throw ServeError(StatusCode::kUnavailable, "Servable not found for request: Latest(" + name + ")");
}

nlohmann::json ModelManager::model_status(const std::string& name, const VersionSpec& spec) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto mit = models_.find(name);
  if (mit == models_.end() || mit->second.versions.empty()) not_found("Could not find any versions of model " + name);
  const ModelEntry& m = mit->second;
  std::optional<int64_t> version = spec.version;
  if (spec.label) version = resolve_label(m, *spec.label);
  auto entry = [](int64_t v, const VersionEntry& e) {
    return nlohmann::json{{"version", std::to_string(v)},
                          {"state", state_name(e.state)},
                          {"status", {{"error_code", e.error.empty() ? "OK" : "UNKNOWN"}, {"error_message", e.error}}}};
  };
  nlohmann::json list = nlohmann::json::array();
  if (version) {
    auto vit = m.versions.find(*version);
    if (vit == m.versions.end()) not_found("Could not find version " + std::to_string(*version) + " of model " + name);
    list.push_back(entry(*version, vit->second));
  } else {
    for (auto it = m.versions.rbegin(); it != m.versions.rend(); ++it) list.push_back(entry(it->first, it->second));
  }
  return {{"model_version_status", list}};
}

bool ModelManager::has_model(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  return models_.count(name) > 0;
}

bool ModelManager::ready(std::string* why) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, m] : models_) {
    std::string reason;
    bool available = false;
    for (const auto& [v, e] : m.versions) available |= e.state == ModelVersionState::kAvailable;
    // The first poll returns after loading and warming up every version it wants; later loads (hot reload) do
    // not make a serving model unready.
    if (!m.polled) reason = "model '" + name + "' is loading its first versions";
    else if (!available) reason = "model '" + name + "' has no available version";
    if (!reason.empty()) {
      if (why) *why = reason;
      return false;
    }
  }
  return true;
}

std::string ModelManager::prometheus_gauges() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out =
      "# HELP nabla_serve_batch_queue_depth Examples waiting in the batching queue.\n"
      "# TYPE nabla_serve_batch_queue_depth gauge\n";
  std::string states =
      "# HELP nabla_serve_model_version_state 1 for the state each model version is in.\n"
      "# TYPE nabla_serve_model_version_state gauge\n";
  for (const auto& [name, m] : models_) {
    for (const auto& [v, e] : m.versions) {
      const std::string labels = "model=\"" + prometheus_escape(name) + "\",version=\"" + std::to_string(v) + "\"";
      if (e.servable) out += "nabla_serve_batch_queue_depth{" + labels + "} " + std::to_string(e.servable->queue_depth()) + "\n";
      states += "nabla_serve_model_version_state{" + labels + ",state=\"" + state_name(e.state) + "\"} 1\n";
    }
  }
  return out + states;
}

}  // namespace nabla::serve
