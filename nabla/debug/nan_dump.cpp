#include "nabla/debug/nan_dump.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/atomic_file.h"
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
  // Written to a temporary name and renamed, so a crash mid-dump leaves no half file to replay.
  AtomicFile out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    if (!f) throw IOError("write_nan_dump: cannot open '" + out.temp_path() + "' for writing");
    uint64_t hl = hs.size();
    f.write(kMagic, sizeof kMagic);
    f.write(reinterpret_cast<const char*>(&hl), sizeof hl);
    f.write(hs.data(), std::streamsize(hs.size()));
    for (auto& [n, t] : all) f.write(static_cast<const char*>(t.raw_data()), std::streamsize(t.nbytes()));
    f.close();
    if (!f) throw IOError("write_nan_dump: write to '" + out.temp_path() + "' failed");
  }
  out.commit();
  return path;
}

StepSnapshot read_nan_dump(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError("read_nan_dump: cannot open '" + path + "'");
  f.seekg(0, std::ios::end);
  const uint64_t file_size = uint64_t(std::streamoff(f.tellg()));
  f.seekg(0);
  char magic[8];
  uint64_t hl = 0;
  f.read(magic, sizeof magic);
  f.read(reinterpret_cast<char*>(&hl), sizeof hl);
  if (!f || std::memcmp(magic, kMagic, sizeof magic) != 0 || hl > file_size - 16)
    throw IOError("read_nan_dump: '" + path + "' is not a nabla NaN dump");
  std::string hs(hl, '\0');
  f.read(hs.data(), std::streamsize(hl));
  const uint64_t base = 16 + hl, data_size = file_size - base;
  // A dump may come from someone else's machine (a bug report): every header field is checked for presence and
  // JSON type, and every tensor for lying inside the file, so a damaged dump is an IOError naming the file and
  // the field, never a JSON library exception or an out-of-range conversion (fuzz/nan_dump_fuzz.cpp).
  auto bad = [&](const std::string& why) { return IOError("read_nan_dump: '" + path + "' is corrupt: " + why); };
  auto field = [&](const nlohmann::json& o, const char* key) -> const nlohmann::json& {
    if (!o.is_object() || !o.contains(key)) throw bad(std::string("no \"") + key + "\"");
    return o[key];
  };
  auto text = [&](const nlohmann::json& o, const char* key) {
    const auto& v = field(o, key);
    if (!v.is_string()) throw bad(std::string("\"") + key + "\" is " + v.dump() + ", not a string");
    return v.get<std::string>();
  };
  auto integer = [&](const nlohmann::json& o, const char* key, int64_t lo, int64_t hi) {
    const auto& v = field(o, key);
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) ||
        v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      throw bad(std::string("\"") + key + "\" is " + v.dump() + ", not an integer in [" + std::to_string(lo) +
                ", " + std::to_string(hi) + "]");
    return v.get<int64_t>();
  };
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(hs);
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("header is not JSON: ") + e.what());
  }
  if (text(h, "format") != "nabla-nan-dump" || field(h, "version") != nlohmann::json(1))
    throw bad("the header is not that of a version-1 nabla NaN dump");
  StepSnapshot s;
  s.model_name = text(h, "model");
  s.epoch = int(integer(h, "epoch", 0, INT32_MAX));
  s.step = integer(h, "step", 0, INT64_MAX);
  s.optimizer = text(h, "optimizer");
  s.iterations = integer(h, "iterations", 0, INT64_MAX);
  const auto& lr = field(h, "learning_rate");
  // JSON has no NaN: a NaN learning rate was written as null.
  if (!lr.is_number() && !lr.is_null()) throw bad("\"learning_rate\" is " + lr.dump() + ", not a number");
  s.learning_rate = lr.is_null() ? std::nan("") : lr.get<double>();
  const auto& rng = field(h, "rng");
  if (!rng.is_array() || rng.size() != 4) throw bad("\"rng\" is not a list of 4 states");
  for (size_t i = 0; i < 4; ++i) {
    const auto& r = rng[i];
    const std::string digits = r.is_string() ? r.get<std::string>() : "";
    if (digits.empty() || digits.size() > 20 || digits.find_first_not_of("0123456789") != std::string::npos)
      throw bad("\"rng\" entry " + std::to_string(i) + " is " + r.dump() + ", not a decimal 64-bit state");
    errno = 0;
    s.rng[i] = std::strtoull(digits.c_str(), nullptr, 10);
    if (errno == ERANGE) throw bad("\"rng\" entry " + std::to_string(i) + " is larger than 64 bits");
  }
  const auto& tensors = field(h, "tensors");
  if (!tensors.is_array()) throw bad("\"tensors\" is not a list");
  for (const auto& e : tensors) {
    const std::string name = text(e, "name");
    const auto& shape = field(e, "shape");
    if (!shape.is_array() || shape.size() > size_t(Shape::kMaxDims))
      throw bad("tensor '" + name + "' has shape " + shape.dump() + ", not a list of at most 8 sizes");
    Shape dims;
    uint64_t numel = 1;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > data_size)
        throw bad("tensor '" + name + "' has shape " + shape.dump() + ", larger than the file");
      numel *= d.get<uint64_t>();
      if (numel > data_size) throw bad("tensor '" + name + "' has shape " + shape.dump() + ", larger than the file");
      dims.push_back(int64_t(d.get<uint64_t>()));
    }
    const DType dt = dtype_named(text(e, "dtype"), path);
    const auto offset = uint64_t(integer(e, "offset", 0, INT64_MAX));
    const uint64_t nbytes = numel * uint64_t(dtype_size(dt));
    if (offset > data_size || nbytes > data_size - offset)
      throw IOError("read_nan_dump: '" + path + "' is truncated: tensor '" + name + "' needs bytes " +
                    std::to_string(base + offset) + ".." + std::to_string(base + offset + nbytes) + " of " +
                    std::to_string(file_size));
    Tensor t = Tensor::empty(dims, dt);
    f.seekg(std::streamoff(base + offset));
    f.read(static_cast<char*>(t.raw_data()), std::streamsize(nbytes));
    if (!f) throw IOError("read_nan_dump: '" + path + "' is truncated");
    if (name == "x") s.x = t;
    else if (name == "y") s.y = t;
    else if (name == "sample_weight") s.sample_weight = t;
    else if (name.rfind("weight:", 0) == 0) s.weights.emplace_back(name.substr(7), t);
    else if (name.rfind("optimizer_state:", 0) == 0) s.optimizer_state.push_back(t);
  }
  return s;
}

ReplayResult replay_step(const std::string& path, Model& model) {
  StepSnapshot s = read_nan_dump(path);
  if (!s.x.defined() || !s.y.defined())
    throw IOError("replay_step: '" + path + "' has no batch (tensors \"x\" and \"y\")");
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
