#include "nabla/nn/init.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <vector>

#include "nabla/core/random.h"
#include "nabla/nn/serialization.h"

namespace nabla::nn {

using saving::json;

std::pair<double, double> compute_fans(const Shape& s) {
  if (s.size() == 0) return {1, 1};
  if (s.size() == 1) return {double(s[0]), double(s[0])};
  if (s.size() == 2) return {double(s[0]), double(s[1])};
  double receptive = 1;
  for (int i = 0; i < s.size() - 2; ++i) receptive *= double(s[i]);
  return {receptive * double(s[s.size() - 2]), receptive * double(s[s.size() - 1])};
}

json InitializerBase::get_config() const { return json::object(); }
json Initializer::get_config() const { return impl_->get_config(); }

namespace {
json seed_json(const std::optional<int64_t>& seed) { return seed ? json(*seed) : json(nullptr); }

// A seeded initializer draws from a fresh generator each time (same values on every call, as Keras); otherwise
// from the caller's generator or the global one.
template <class F>
void with_generator(const std::optional<int64_t>& seed, Generator* gen, F&& f) {
  if (seed) {
    Generator g{static_cast<uint64_t>(*seed)};
    f(&g);
  } else {
    f(gen);
  }
}

void fill_uniform(Tensor& t, double lo, double hi, Generator* gen) {
  t.copy_(Tensor::uniform(t.shape(), lo, hi, t.dtype(), gen));
}
// Keras's truncated normal: resample outside two standard deviations.
void fill_truncated_normal(Tensor& t, double mean, double stddev, Generator* gen) {
  Generator& g = gen ? *gen : default_generator();
  NABLA_DISPATCH_FLOAT(t.dtype(), T, {
    Tensor c = Tensor::empty(t.shape(), t.dtype());
    T* p = c.data<T>();
    for (int64_t i = 0; i < c.numel(); ++i) {
      double v;
      do v = g.normal(); while (std::abs(v) > 2.0);
      p[i] = T(mean + v * stddev);
    }
    t.copy_(c);
  });
}

class RandomNormalInit : public InitializerBase {
 public:
  RandomNormalInit(double mean, double stddev, std::optional<int64_t> seed, Generator* gen, bool truncated)
      : mean_(mean), stddev_(stddev), seed_(seed), gen_(gen), truncated_(truncated) {}
  void fill(Tensor& t) const override {
    with_generator(seed_, gen_, [&](Generator* g) {
      if (truncated_)
        fill_truncated_normal(t, mean_, stddev_, g);
      else
        t.copy_(Tensor::normal(t.shape(), mean_, stddev_, t.dtype(), g));
    });
  }
  std::string class_name() const override { return truncated_ ? "TruncatedNormal" : "RandomNormal"; }
  json get_config() const override { return {{"seed", seed_json(seed_)}, {"mean", mean_}, {"stddev", stddev_}}; }

 private:
  double mean_, stddev_;
  std::optional<int64_t> seed_;
  Generator* gen_;
  bool truncated_;
};

class RandomUniformInit : public InitializerBase {
 public:
  RandomUniformInit(double lo, double hi, std::optional<int64_t> seed, Generator* gen)
      : lo_(lo), hi_(hi), seed_(seed), gen_(gen) {}
  void fill(Tensor& t) const override {
    with_generator(seed_, gen_, [&](Generator* g) { fill_uniform(t, lo_, hi_, g); });
  }
  std::string class_name() const override { return "RandomUniform"; }
  json get_config() const override { return {{"seed", seed_json(seed_)}, {"minval", lo_}, {"maxval", hi_}}; }

 private:
  double lo_, hi_;
  std::optional<int64_t> seed_;
  Generator* gen_;
};

// Keras's Orthogonal: a normal matrix [prod(shape[:-1]), shape[-1]] (transposed when wider than tall) made
// orthonormal by QR with the signs of R's diagonal folded in, times gain. Gram-Schmidt (run twice for accuracy)
// gives exactly that Q: the factor whose R has a positive diagonal. The recurrent kernels' default.
class OrthogonalInit : public InitializerBase {
 public:
  OrthogonalInit(double gain, std::optional<int64_t> seed) : gain_(gain), seed_(seed) {}
  void fill(Tensor& t) const override {
    NABLA_CHECK(t.dim() >= 2, "Orthogonal initializer: needs a weight of rank >= 2, got shape ", t.shape().str());
    const int64_t cols = t.shape().back(), rows = t.numel() / std::max<int64_t>(cols, 1);
    const int64_t m = std::max(rows, cols), n = std::min(rows, cols);  // orthonormalize n columns of length m
    std::vector<double> a(size_t(m * n));
    with_generator(seed_, nullptr, [&](Generator* g) {
      Generator& gen = g ? *g : default_generator();
      for (double& v : a) v = gen.normal();
    });
    auto col = [&](int64_t j, int64_t i) -> double& { return a[size_t(i * n + j)]; };  // a is [m, n]
    for (int64_t j = 0; j < n; ++j) {
      for (int pass = 0; pass < 2; ++pass)
        for (int64_t k = 0; k < j; ++k) {
          double dot = 0;
          for (int64_t i = 0; i < m; ++i) dot += col(k, i) * col(j, i);
          for (int64_t i = 0; i < m; ++i) col(j, i) -= dot * col(k, i);
        }
      double norm = 0;
      for (int64_t i = 0; i < m; ++i) norm += col(j, i) * col(j, i);
      norm = std::sqrt(norm);
      for (int64_t i = 0; i < m; ++i) col(j, i) /= norm;
    }
    Tensor out = Tensor::empty(Shape{rows, cols}, f64);
    double* o = out.data<double>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) o[r * cols + c] = gain_ * (rows >= cols ? col(c, r) : col(r, c));
    t.copy_(out.to(t.dtype()).reshape(t.shape()));
  }
  std::string class_name() const override { return "Orthogonal"; }
  json get_config() const override { return {{"seed", seed_json(seed_)}, {"gain", gain_}}; }

 private:
  double gain_;
  std::optional<int64_t> seed_;
};

class ConstantInit : public InitializerBase {
 public:
  // kind: "Constant" (writes {value}), "Zeros" or "Ones" (write {}).
  ConstantInit(double v, std::string kind) : v_(v), kind_(std::move(kind)) {}
  void fill(Tensor& t) const override { t.fill_(v_); }
  std::string class_name() const override { return kind_; }
  json get_config() const override { return kind_ == "Constant" ? json{{"value", v_}} : json::object(); }

 private:
  double v_;
  std::string kind_;
};

// The presets of VarianceScaling by Keras class name: scale, mode, distribution.
struct Preset {
  const char* class_name;
  const char* keras_name;
  double scale;
  const char* mode;
  const char* distribution;
};
constexpr Preset kPresets[] = {
    {"GlorotUniform", "glorot_uniform", 1.0, "fan_avg", "uniform"},
    {"GlorotNormal", "glorot_normal", 1.0, "fan_avg", "truncated_normal"},
    {"HeNormal", "he_normal", 2.0, "fan_in", "truncated_normal"},
    {"HeUniform", "he_uniform", 2.0, "fan_in", "uniform"},
    {"LecunNormal", "lecun_normal", 1.0, "fan_in", "truncated_normal"},
    {"LecunUniform", "lecun_uniform", 1.0, "fan_in", "uniform"},
};
Initializer preset(const char* class_name, std::optional<int64_t> seed, Generator* gen) {
  for (const Preset& p : kPresets)
    if (std::string(p.class_name) == class_name)
      return Initializer(std::make_shared<VarianceScaling>(p.scale, p.mode, p.distribution, seed, gen, p.class_name));
  throw ValueError(std::string("unknown initializer preset ") + class_name);
}
}  // namespace

VarianceScaling::VarianceScaling(double scale, std::string mode, std::string distribution, std::optional<int64_t> seed,
                                 Generator* gen, std::string class_name)
    : scale_(scale), mode_(std::move(mode)), distribution_(std::move(distribution)), seed_(seed), gen_(gen),
      class_name_(std::move(class_name)) {
  NABLA_CHECK(scale_ > 0, "VarianceScaling: scale must be positive, got ", scale_);
  NABLA_CHECK(mode_ == "fan_in" || mode_ == "fan_out" || mode_ == "fan_avg",
              "VarianceScaling: mode must be fan_in, fan_out or fan_avg, got '", mode_, "'");
  NABLA_CHECK(distribution_ == "truncated_normal" || distribution_ == "untruncated_normal" ||
                  distribution_ == "uniform",
              "VarianceScaling: distribution must be truncated_normal, untruncated_normal or uniform, got '",
              distribution_, "'");
}

void VarianceScaling::fill(Tensor& t) const {
  auto [fi, fo] = compute_fans(t.shape());
  double n = mode_ == "fan_in" ? fi : mode_ == "fan_out" ? fo : (fi + fo) / 2;
  double var = scale_ / std::max(1.0, n);
  with_generator(seed_, gen_, [&](Generator* g) {
    if (distribution_ == "uniform") {
      double limit = std::sqrt(3.0 * var);
      fill_uniform(t, -limit, limit, g);
    } else if (distribution_ == "truncated_normal") {
      // The stddev of a unit normal truncated at two standard deviations is 0.8796...; correct for it.
      fill_truncated_normal(t, 0.0, std::sqrt(var) / 0.87962566103423978, g);
    } else {
      t.copy_(Tensor::normal(t.shape(), 0.0, std::sqrt(var), t.dtype(), g));
    }
  });
}

json VarianceScaling::get_config() const {
  if (!class_name_.empty())
    return {{"seed", seed_json(seed_)}, {"input_axes", nullptr}, {"output_axes", nullptr}};
  return {{"seed", seed_json(seed_)}, {"scale", scale_},          {"mode", mode_},
          {"distribution", distribution_}, {"input_axes", nullptr}, {"output_axes", nullptr}};
}

Initializer::Initializer(const char* name) : Initializer(initializer(name)) {}
Initializer::Initializer(const std::string& name) : Initializer(initializer(name)) {}
Initializer::Initializer(std::shared_ptr<const InitializerBase> impl) : impl_(std::move(impl)) {
  NABLA_CHECK(impl_ != nullptr, "Initializer: null initializer object");
}

Initializer glorot_uniform(Generator* g) { return preset("GlorotUniform", {}, g); }
Initializer glorot_normal(Generator* g) { return preset("GlorotNormal", {}, g); }
Initializer he_normal(Generator* g) { return preset("HeNormal", {}, g); }
Initializer he_uniform(Generator* g) { return preset("HeUniform", {}, g); }
Initializer lecun_normal(Generator* g) { return preset("LecunNormal", {}, g); }
Initializer lecun_uniform(Generator* g) { return preset("LecunUniform", {}, g); }
Initializer random_normal(double mean, double stddev, Generator* g) {
  return Initializer(std::make_shared<RandomNormalInit>(mean, stddev, std::nullopt, g, false));
}
Initializer truncated_normal(double mean, double stddev, Generator* g) {
  return Initializer(std::make_shared<RandomNormalInit>(mean, stddev, std::nullopt, g, true));
}
Initializer random_uniform(double lo, double hi, Generator* g) {
  return Initializer(std::make_shared<RandomUniformInit>(lo, hi, std::nullopt, g));
}
Initializer constant(double v) { return Initializer(std::make_shared<ConstantInit>(v, "Constant")); }
Initializer zeros() { return Initializer(std::make_shared<ConstantInit>(0.0, "Zeros")); }
Initializer ones() { return Initializer(std::make_shared<ConstantInit>(1.0, "Ones")); }

namespace initializers {
Initializer GlorotUniform(std::optional<int64_t> s) { return preset("GlorotUniform", s, nullptr); }
Initializer GlorotNormal(std::optional<int64_t> s) { return preset("GlorotNormal", s, nullptr); }
Initializer HeNormal(std::optional<int64_t> s) { return preset("HeNormal", s, nullptr); }
Initializer HeUniform(std::optional<int64_t> s) { return preset("HeUniform", s, nullptr); }
Initializer LecunNormal(std::optional<int64_t> s) { return preset("LecunNormal", s, nullptr); }
Initializer LecunUniform(std::optional<int64_t> s) { return preset("LecunUniform", s, nullptr); }
Initializer RandomNormal(double mean, double stddev, std::optional<int64_t> s) {
  return Initializer(std::make_shared<RandomNormalInit>(mean, stddev, s, nullptr, false));
}
Initializer RandomUniform(double lo, double hi, std::optional<int64_t> s) {
  return Initializer(std::make_shared<RandomUniformInit>(lo, hi, s, nullptr));
}
Initializer TruncatedNormal(double mean, double stddev, std::optional<int64_t> s) {
  return Initializer(std::make_shared<RandomNormalInit>(mean, stddev, s, nullptr, true));
}
}  // namespace initializers

Initializer initializer(const std::string& n) {
  for (const Preset& p : kPresets)
    if (n == p.keras_name) return preset(p.class_name, {}, nullptr);
  if (n == "random_normal") return random_normal();
  if (n == "random_uniform") return random_uniform();
  if (n == "truncated_normal") return truncated_normal();
  if (n == "zeros") return zeros();
  if (n == "ones") return ones();
  if (n == "orthogonal") return Initializer(std::make_shared<OrthogonalInit>(1.0, std::nullopt));
  throw ValueError("unknown initializer '" + n +
                   "' (known: glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, lecun_uniform, "
                   "random_normal, random_uniform, truncated_normal, zeros, ones, orthogonal)");
}

namespace {
using InitRegistry = saving::Registry<const InitializerBase>;
std::mutex registry_mu;
InitRegistry& registry() {
  static InitRegistry* r = [] {
    auto* reg = new InitRegistry("initializer");
    const std::string who = "initializer config";
    for (const Preset& p : kPresets) {
      std::string cls = p.class_name;
      reg->add(cls, [cls, who](const json& c) -> std::shared_ptr<const InitializerBase> {
        saving::require_null(c, "input_axes", who);
        saving::require_null(c, "output_axes", who);
        for (const Preset& q : kPresets)
          if (cls == q.class_name)
            return std::make_shared<VarianceScaling>(q.scale, q.mode, q.distribution,
                                                     saving::get_optional_int(c, "seed", who), nullptr, cls);
        return nullptr;
      });
    }
    reg->add("VarianceScaling", [who](const json& c) -> std::shared_ptr<const InitializerBase> {
      saving::require_null(c, "input_axes", who);
      saving::require_null(c, "output_axes", who);
      return std::make_shared<VarianceScaling>(saving::get_double(c, "scale", 1.0, who),
                                               saving::get_string(c, "mode", "fan_in", who),
                                               saving::get_string(c, "distribution", "truncated_normal", who),
                                               saving::get_optional_int(c, "seed", who));
    });
    reg->add("RandomNormal", [who](const json& c) -> std::shared_ptr<const InitializerBase> {
      return std::make_shared<RandomNormalInit>(saving::get_double(c, "mean", 0.0, who),
                                                saving::get_double(c, "stddev", 0.05, who),
                                                saving::get_optional_int(c, "seed", who), nullptr, false);
    });
    reg->add("TruncatedNormal", [who](const json& c) -> std::shared_ptr<const InitializerBase> {
      return std::make_shared<RandomNormalInit>(saving::get_double(c, "mean", 0.0, who),
                                                saving::get_double(c, "stddev", 0.05, who),
                                                saving::get_optional_int(c, "seed", who), nullptr, true);
    });
    reg->add("RandomUniform", [who](const json& c) -> std::shared_ptr<const InitializerBase> {
      return std::make_shared<RandomUniformInit>(saving::get_double(c, "minval", -0.05, who),
                                                 saving::get_double(c, "maxval", 0.05, who),
                                                 saving::get_optional_int(c, "seed", who), nullptr);
    });
    reg->add("Constant", [who](const json& c) -> std::shared_ptr<const InitializerBase> {
      return std::make_shared<ConstantInit>(saving::get_double(c, "value", 0.0, who), "Constant");
    });
    reg->add("Zeros", [](const json&) -> std::shared_ptr<const InitializerBase> {
      return std::make_shared<ConstantInit>(0.0, "Zeros");
    });
    reg->add("Orthogonal", [who](const json& c) -> std::shared_ptr<const InitializerBase> {
      return std::make_shared<OrthogonalInit>(saving::get_double(c, "gain", 1.0, who),
                                              saving::get_optional_int(c, "seed", who));
    });
    reg->add("Ones", [](const json&) -> std::shared_ptr<const InitializerBase> {
      return std::make_shared<ConstantInit>(1.0, "Ones");
    });
    return reg;
  }();
  return *r;
}
}  // namespace

void register_initializer_factory(const std::string& registered_name,
                                  std::function<std::shared_ptr<const InitializerBase>(const json&)> f,
                                  std::type_index type) {
  std::lock_guard<std::mutex> lock(registry_mu);
  registry().add(registered_name, std::move(f), type);
}

json serialize_initializer(const Initializer& init) {
  std::string reg;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    const auto& impl = init.impl();  // typeid of a named reference: clang warns on typeid(call())
    reg = registry().registered_name(typeid(impl));
  }
  if (!reg.empty()) return saving::serialize_object("", saving::class_name_of_registered(reg), init.get_config(), reg);
  return saving::serialize_object("keras.initializers", init.class_name(), init.get_config());
}

Initializer deserialize_initializer(const json& j) {
  if (j.is_string()) return initializer(j.get<std::string>());
  saving::ObjectSpec spec = saving::parse_object(j, "an initializer");
  std::shared_ptr<const InitializerBase> impl;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    impl = registry().create(spec);
  }
  return Initializer(std::move(impl));
}

}  // namespace nabla::nn
