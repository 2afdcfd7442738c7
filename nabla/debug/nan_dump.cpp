#include "nabla/debug/nan_dump.h"

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "nabla/autograd/grad_mode.h"
#include "nabla/debug/numerics_mode.h"
#include "nabla/train/model.h"
#include "nabla/train/weights_io.h"

namespace nabla::debug {
namespace {

constexpr char kMagic[8] = {'N', 'A', 'B', 'L', 'A', 'N', 'A', 'N'};

Tensor copy_of(const Tensor& t) { return t.defined() ? t.detach().contiguous().clone() : Tensor(); }

DType dtype_named(const std::string& s, const std::string& path) {
  for (DType t : {f32, f64, i32, i64, u8})
    if (s == dtype_name(t)) return t;
  throw IOError("read_nan_dump: '" + path + "' has a tensor of unknown dtype '" + s + "'");
}

}  // namespace

StepSnapshot take_snapshot(const Model& model, const Tensor& x, const Tensor& y, const Tensor& sw, int epoch,
                           int64_t step) {
  NoGradGuard ng;
  StepSnapshot s;
  s.model_name = model.name();
  s.epoch = epoch;
  s.step = step;
  s.x = copy_of(x);
  s.y = copy_of(y);
  s.sample_weight = copy_of(sw);
  for (auto& [n, t] : named_weights(model)) s.weights.emplace_back(n, copy_of(t));
  const optim::Optimizer& opt = model.optimizer();
  for (const Tensor& t : opt.state_tensors()) s.optimizer_state.push_back(copy_of(t));
  s.optimizer = opt.name();
  s.iterations = opt.iterations();
  s.learning_rate = opt.learning_rate();
  s.rng = default_generator().state();
  return s;
}

std::string write_nan_dump(const StepSnapshot& s, const std::string& dir) {
  std::filesystem::create_directories(dir);
  static std::atomic<int> counter{0};
  std::string path = detail::concat(dir, "/", s.model_name, "_pid", ::getpid(), "_", counter++, "_epoch", s.epoch + 1,
                                    "_step", s.step, ".nandump");
  std::vector<std::pair<std::string, Tensor>> all;
  all.emplace_back("x", s.x);
  all.emplace_back("y", s.y);
  if (s.sample_weight.defined()) all.emplace_back("sample_weight", s.sample_weight);
  for (auto& [n, t] : s.weights) all.emplace_back("weight:" + n, t);
  for (size_t i = 0; i < s.optimizer_state.size(); ++i)
    all.emplace_back("optimizer_state:" + std::to_string(i), s.optimizer_state[i]);
  nlohmann::json tensors = nlohmann::json::array();
  uint64_t off = 0;
  for (auto& [n, t] : all) {
    tensors.push_back({{"name", n}, {"dtype", dtype_name(t.dtype())}, {"shape", t.shape().vec()}, {"offset", off},
                       {"nbytes", t.nbytes()}});
    off += t.nbytes();
  }
  nlohmann::json rng = nlohmann::json::array();
  for (uint64_t w : s.rng) rng.push_back(std::to_string(w));  // JSON numbers lose 64-bit precision in some readers
  nlohmann::json h = {{"format", "nabla-nan-dump"}, {"version", 1}, {"model", s.model_name}, {"epoch", s.epoch},
                      {"step", s.step}, {"optimizer", s.optimizer}, {"iterations", s.iterations},
                      {"learning_rate", s.learning_rate}, {"rng", rng}, {"tensors", tensors}};
  std::string hs = h.dump();
  std::ofstream f(path, std::ios::binary);
  if (!f) throw IOError("write_nan_dump: cannot open '" + path + "' for writing");
  uint64_t hl = hs.size();
  f.write(kMagic, sizeof kMagic);
  f.write(reinterpret_cast<const char*>(&hl), sizeof hl);
  f.write(hs.data(), std::streamsize(hs.size()));
  for (auto& [n, t] : all) f.write(static_cast<const char*>(t.raw_data()), std::streamsize(t.nbytes()));
  if (!f) throw IOError("write_nan_dump: write to '" + path + "' failed");
  return path;
}

StepSnapshot read_nan_dump(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError("read_nan_dump: cannot open '" + path + "'");
  char magic[8];
  uint64_t hl = 0;
  f.read(magic, sizeof magic);
  f.read(reinterpret_cast<char*>(&hl), sizeof hl);
  if (!f || std::memcmp(magic, kMagic, sizeof magic) != 0 || hl > (1u << 30))
    throw IOError("read_nan_dump: '" + path + "' is not a nabla NaN dump");
  std::string hs(hl, '\0');
  f.read(hs.data(), std::streamsize(hl));
  auto h = nlohmann::json::parse(hs);
  const std::streamoff base = f.tellg();
  StepSnapshot s;
  s.model_name = h.at("model").get<std::string>();
  s.epoch = h.at("epoch").get<int>();
  s.step = h.at("step").get<int64_t>();
  s.optimizer = h.at("optimizer").get<std::string>();
  s.iterations = h.at("iterations").get<int64_t>();
  s.learning_rate = h.at("learning_rate").get<double>();
  for (size_t i = 0; i < 4; ++i) s.rng[i] = std::stoull(h.at("rng").at(i).get<std::string>());
  for (const auto& e : h.at("tensors")) {
    Tensor t = Tensor::empty(Shape(e.at("shape").get<std::vector<int64_t>>()),
                             dtype_named(e.at("dtype").get<std::string>(), path));
    f.seekg(base + std::streamoff(e.at("offset").get<uint64_t>()));
    f.read(static_cast<char*>(t.raw_data()), std::streamsize(t.nbytes()));
    if (!f) throw IOError("read_nan_dump: '" + path + "' is truncated");
    std::string n = e.at("name").get<std::string>();
    if (n == "x") s.x = t;
    else if (n == "y") s.y = t;
    else if (n == "sample_weight") s.sample_weight = t;
    else if (n.rfind("weight:", 0) == 0) s.weights.emplace_back(n.substr(7), t);
    else if (n.rfind("optimizer_state:", 0) == 0) s.optimizer_state.push_back(t);
  }
  return s;
}

ReplayResult replay_step(const std::string& path, Model& model) {
  StepSnapshot s = read_nan_dump(path);
  optim::Optimizer& opt = model.optimizer();
  NABLA_CHECK(opt.name() == s.optimizer, "replay_step: the dump was made with optimizer '", s.optimizer,
              "' but the model is compiled with '", opt.name(), "'");
  model.build_if_possible();
  if (!s.weights.empty() && !model.layers().empty() && !model.layers().front()->built()) {
    NoGradGuard ng;
    model(s.x);  // builds the layers from the batch's shape
  }
  auto weights = named_weights(model);
  NABLA_CHECK(weights.size() == s.weights.size(), "replay_step: the dump has ", s.weights.size(),
              " weights but the model has ", weights.size(), "; build the same architecture as the dumped model '",
              s.model_name, "'");
  {
    NoGradGuard ng;
    for (size_t i = 0; i < weights.size(); ++i) weights[i].second.copy_(s.weights[i].second);
    std::vector<Tensor> params = model.trainable_weights();
    if (!s.optimizer_state.empty() && opt.state_tensors().size() != s.optimizer_state.size()) {
      // The optimizer creates its state on its first step: take one with zero gradients, then put the
      // parameters back (weight decay would otherwise move them).
      std::vector<Tensor> saved, zeros;
      for (const Tensor& p : params) {
        saved.push_back(p.clone());
        zeros.push_back(Tensor::zeros_like(p));
      }
      opt.apply_gradients(zeros, params);
      for (size_t i = 0; i < params.size(); ++i) const_cast<Tensor&>(params[i]).copy_(saved[i]);
    }
    std::vector<Tensor> state = opt.state_tensors();
    NABLA_CHECK(state.size() == s.optimizer_state.size(), "replay_step: the dump has ", s.optimizer_state.size(),
                " optimizer state tensors but the optimizer has ", state.size());
    for (size_t i = 0; i < state.size(); ++i) state[i].copy_(s.optimizer_state[i]);
    opt.set_iterations(s.iterations);
    if (!opt.options().schedule) opt.set_learning_rate(s.learning_rate);
  }
  default_generator().set_state(s.rng);
  ReplayResult r;
  NumericsOptions no;
  no.dump_on_failure = false;
  CheckNumericsGuard guard(no);
  name_parameters(model);
  try {
    callbacks::Logs logs = model.train_on_batch(s.x, s.y, s.sample_weight);
    r.loss = logs["loss"];
  } catch (const NumericsError& e) {
    r.reproduced = true;
    r.report = e.what();
    r.op = e.op;
    r.layer_path = e.layer_path;
    r.phase = e.phase;
  }
  return r;
}

}  // namespace nabla::debug
